// Only in the arm64/perl 5.36 layer's bootstrap (scripts/layer.sh passes -DPERL_LAMBDA_ISOC23_SHIMS): it links
// Debian trixie's aarch64 static Swift runtime (built against glibc 2.41) against Debian bookworm's glibc 2.36,
// which perl 5.36 comes with. That runtime calls the C23 variants of strtol & co. that glibc 2.38 added
// (`__isoc23_strtol` …, which differ only in also reading a "0b" binary prefix), and its libdispatch strlcpy
// (also 2.38); bookworm's glibc has only the classic ones, which these forward to. Nothing else in the
// bootstrap needs a glibc newer than 2.36.
#ifdef PERL_LAMBDA_ISOC23_SHIMS
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t strlcpy(char *dst, const char *src, size_t size) {
    size_t len = strlen(src);
    if (size > 0) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}

long __isoc23_strtol(const char *s, char **end, int base) { return strtol(s, end, base); }
long long __isoc23_strtoll(const char *s, char **end, int base) { return strtoll(s, end, base); }
unsigned long __isoc23_strtoul(const char *s, char **end, int base) { return strtoul(s, end, base); }
unsigned long long __isoc23_strtoull(const char *s, char **end, int base) { return strtoull(s, end, base); }
int __isoc23_sscanf(const char *s, const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    int n = vsscanf(s, format, ap);
    va_end(ap);
    return n;
}
#endif
