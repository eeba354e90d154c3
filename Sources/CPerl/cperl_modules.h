#ifndef CPERL_MODULES_H
#define CPERL_MODULES_H
#include <stddef.h>

/// One Perl module compiled into the binary (see modules.c).
typedef struct cperl_module {
    const char *name; ///< path as `require` sees it, e.g. "AWS/Lambda.pm"
    const char *source;
    const char *end; ///< one past the last byte
} cperl_module;

const cperl_module *cperl_find_module(const char *name, size_t len);

#endif
