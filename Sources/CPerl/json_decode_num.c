// JSON number parsing for the decoder: integers that fit become IV/UV, everything else an NV
// (Clinger's exact fast path, otherwise Perl's own my_atof3, which is locale-safe).
#include "json_internal.h"
#include <stdint.h>

static const double pow10_tab[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

SV *cpj__dec_number(pTHX_ const char **pp, const char *end, const char **err_at, const char **expected, const char **msg) {
    const char *p = *pp, *start = p;
    int neg = 0, is_nv = 0, overflow = 0;
    UV m = 0;
    long exp10 = 0;
    if (*p == '-') { neg = 1; p++; }
    if (p >= end || (unsigned)(*p - '0') > 9) { *err_at = p; *expected = "a digit"; return NULL; }
    if (*p == '0') {
        p++;
        if (p < end && (unsigned)(*p - '0') <= 9) {
            *err_at = start;
            *msg = "malformed JSON: leading zeros are not allowed in numbers";
            return NULL;
        }
    } else {
        while (p < end && (unsigned)(*p - '0') <= 9) {
            unsigned dg = (unsigned)(*p - '0');
            if (!overflow && (m > (UV_MAX - dg) / 10)) overflow = 1;
            if (!overflow) m = m * 10 + dg; else exp10++;
            p++;
        }
    }
    if (p < end && *p == '.') {
        p++;
        if (p >= end || (unsigned)(*p - '0') > 9) { *err_at = p; *expected = "a digit after the decimal point"; return NULL; }
        is_nv = 1;
        while (p < end && (unsigned)(*p - '0') <= 9) {
            unsigned dg = (unsigned)(*p - '0');
            if (!overflow && (m > (UV_MAX - dg) / 10)) overflow = 1;
            if (!overflow) { m = m * 10 + dg; exp10--; }
            p++;
        }
    }
    if (p < end && (*p | 0x20) == 'e') {
        p++;
        int eneg = 0;
        long e = 0;
        if (p < end && (*p == '+' || *p == '-')) { eneg = *p == '-'; p++; }
        if (p >= end || (unsigned)(*p - '0') > 9) { *err_at = p; *expected = "a digit in the exponent"; return NULL; }
        while (p < end && (unsigned)(*p - '0') <= 9) {
            if (e < 100000) e = e * 10 + (*p - '0');
            p++;
        }
        exp10 += eneg ? -e : e;
        is_nv = 1;
    }
    *pp = p;
    if (!is_nv && !overflow) {
        if (!neg) return m <= (UV)IV_MAX ? newSViv((IV)m) : newSVuv(m);
        if (m <= (UV)IV_MAX) return newSViv(-(IV)m);
        if (m == (UV)IV_MAX + 1) return newSViv(IV_MIN);
        // fall through: negative beyond IV_MIN becomes an NV
    }
    NV nv;
    if (!overflow && m <= ((UV)1 << 53) && exp10 >= -22 && exp10 <= 22) {
        // Exact operands, one correctly rounded operation (Clinger's fast path).
        nv = exp10 < 0 ? (double)m / pow10_tab[-exp10] : (double)m * pow10_tab[exp10];
        if (neg) nv = -nv;
    } else {
        my_atof3(start, &nv, (STRLEN)(p - start));
    }
    return newSVnv(nv);
}

