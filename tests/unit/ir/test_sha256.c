// SPDX-License-Identifier: GPL-2.0-only
/* SHA-256 against the FIPS 180-4 / NIST example vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "common/sha256.h"

static void hex(const uint8_t d[SL_SHA256_LEN], char out[65])
{
	for (int i = 0; i < SL_SHA256_LEN; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void check(const char *msg, const char *want)
{
	uint8_t d[SL_SHA256_LEN];
	char got[65];

	sl_sha256(msg, strlen(msg), d);
	hex(d, got);
	assert_string_equal(got, want);
}

static void nist_vectors(void **state)
{
	check("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	check("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmn"
	      "opqrlmnopqrsmnopqrstnopqrstu",
	      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

/* A million 'a's fed in uneven pieces: block boundaries must not matter. */
static void million_a_in_pieces(void **state)
{
	static char buf[1000];
	struct sl_sha256 ctx;
	uint8_t d[SL_SHA256_LEN];
	char got[65];
	size_t done = 0, step = 1;

	memset(buf, 'a', sizeof(buf));
	sl_sha256_init(&ctx);
	while (done < 1000000) {
		size_t n = step % 997 + 1;

		if (n > 1000000 - done)
			n = 1000000 - done;
		sl_sha256_update(&ctx, buf, n);
		done += n;
		step = step * 31 + 7;
	}
	sl_sha256_final(&ctx, d);
	hex(d, got);
	assert_string_equal(got,
			    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Lengths around the padding boundary (55, 56, 63, 64, 119, 120 bytes). */
static void padding_boundaries(void **state)
{
	char msg[128];

	memset(msg, 'a', 55);
	msg[55] = '\0';
	check(msg, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	memset(msg, 'a', 56);
	msg[56] = '\0';
	check(msg, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
	memset(msg, 'a', 63);
	msg[63] = '\0';
	check(msg, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34");
	memset(msg, 'a', 64);
	msg[64] = '\0';
	check(msg, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
	memset(msg, 'a', 119);
	msg[119] = '\0';
	check(msg, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb");
	memset(msg, 'a', 120);
	msg[120] = '\0';
	check(msg, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(nist_vectors),
	    cmocka_unit_test(million_a_in_pieces),
	    cmocka_unit_test(padding_boundaries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
