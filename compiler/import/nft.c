// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include "import/import_priv.h"
int sl_import_nft(const char *text, size_t len, uint32_t file, const struct sl_import_opts *o,
		  struct sl_diag *diag, struct sl_buf *out)
{
	return -EINVAL;
}
