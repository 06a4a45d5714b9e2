/* SPDX-License-Identifier: GPL-2.0-only */
/* Interface names of a policy, resolved before load (iface.c). */
#pragma once

#include "obj.h"

/* Writes the indexes of the object's interface names; prints what is wrong. */
int sl_iface_fill(struct sl_obj *o);
