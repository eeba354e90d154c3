// Private to the JSON codec files (json_*.c): the pieces they share with each other.
#ifndef CPERL_JSON_INTERNAL_H
#define CPERL_JSON_INTERNAL_H

#include "cperl_internal.h"
#include <stdint.h>

// ---- encoder (json_encode.c, json_encode_str.c, json_boot.c) ----
typedef struct cpj_enc {
    char *cur, *end, *base; // write pointer, capacity end (one byte kept for the NUL), buffer
    SV *sv;                 // output SV, or NULL when writing to buf
    cperl_buf *buf;
    int depth;
    int rc;                 // result of a guarded run
    char err[512];
} cpj_enc;
void cpj__enc_init_sv(pTHX_ cpj_enc *e, SV *out);
void cpj__enc_finish_sv(pTHX_ cpj_enc *e);
int cpj__enc_sv(pTHX_ cpj_enc *e, SV *sv);
int cpj__enc_str(pTHX_ cpj_enc *e, const char *s, STRLEN len, int utf8); // json_encode_str.c
void cpj__enc_grow(pTHX_ cpj_enc *e, size_t need);
CV *cpj__guard_cv(pTHX);                                                // json_boot.c
XS(cpj__xs_encode_guarded);

#define NEED(e, n) do { if (UNLIKELY((size_t)((e)->end - (e)->cur) < (size_t)(n))) cpj__enc_grow(aTHX_ (e), (n)); } while (0)

// ---- decoder (json_decode.c, json_decode_str.c, json_decode_num.c) ----
SV *cpj__decode(pTHX_ const char *json, size_t len, char *err, size_t errsz);
SV *cpj__dec_number(pTHX_ const char **pp, const char *end, const char **err_at, const char **expected,
                    const char **msg);
typedef struct cpj_sbuf { char *data; size_t used, cap; char *local; } cpj_sbuf;
int cpj__dec_str(const char **pp, const char *end, cpj_sbuf *sb, const char **s, size_t *len, int *utf8,
                 int *scratch, size_t *s_off, const char **err_at, char *msg, size_t msgsz);

// ---- shared ----
void cpj__bools(pTHX_ SV **true_sv, SV **false_sv); // json_boot.c: referents of the singletons

// Word-at-a-time scanning: high bit set in the lowest byte of `w` that is '"', '\\', < 0x20 or >= 0x80
// (bytes above it may be false positives; callers use only the lowest).
#define CPJ_ONES 0x0101010101010101ULL
#define CPJ_HIGHS 0x8080808080808080ULL
static inline uint64_t cpj_special_mask(uint64_t w) {
    uint64_t lt = (w - CPJ_ONES * 0x20) & ~w;
    uint64_t q = w ^ (CPJ_ONES * 0x22);
    uint64_t b = w ^ (CPJ_ONES * 0x5C);
    q = (q - CPJ_ONES) & ~q;
    b = (b - CPJ_ONES) & ~b;
    return (lt | q | b | w) & CPJ_HIGHS;
}

// Length of the valid (RFC 3629: no overlongs, surrogates or > U+10FFFF) UTF-8 sequence at p, or 0.
static inline int cpj_utf8_seq(const unsigned char *p, const unsigned char *end) {
    unsigned c = p[0];
    ptrdiff_t avail = end - p;
    if (c < 0xC2) return 0;
    if (c < 0xE0) return (avail >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
    if (c < 0xF0) {
        if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && p[1] < 0xA0) return 0;
        if (c == 0xED && p[1] >= 0xA0) return 0;
        return 3;
    }
    if (c < 0xF5) {
        if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return 0;
        if (c == 0xF0 && p[1] < 0x90) return 0;
        if (c == 0xF4 && p[1] >= 0x90) return 0;
        return 4;
    }
    return 0;
}

#endif
