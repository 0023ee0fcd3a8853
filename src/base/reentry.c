// SPDX-License-Identifier: MIT
/* The re-entry guard's flag; see reentry.h. */
#include "base/reentry.h"

__thread volatile sig_atomic_t reentry_inside
	__attribute__((tls_model("initial-exec")));
