// JSON decoder (strict RFC 8259, UTF-8 input) building Perl SVs directly while parsing.
// Semantics follow JSON::XS decode_json; see cperl_internal.h for the contract.
#include "cperl_internal.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

// ---- shared with the other json_*.c files (no private header by design) ----
SV *cpj__decode(pTHX_ const char *json, size_t len, char *err, size_t errsz);
void cpj__bools(pTHX_ SV **true_sv, SV **false_sv); // json_boot.c: referents of the singletons

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

// High bit set in each byte that is '"', '\\', < 0x20 or >= 0x80. Only the lowest set byte is
// exact (borrows can mark bytes above a real hit), which is all the callers use.
static inline uint64_t special_mask(uint64_t w) {
    uint64_t lt = (w - ONES * 0x20) & ~w;
    uint64_t q = w ^ (ONES * 0x22);
    uint64_t b = w ^ (ONES * 0x5C);
    q = (q - ONES) & ~q;
    b = (b - ONES) & ~b;
    return (lt | q | b | w) & HIGHS;
}

typedef struct {
    const char *start, *p, *end;
    int depth;
    SV **stk;            // array elements being collected (a stack shared by nesting levels)
    size_t stk_len, stk_cap;
    char *sbuf;          // unescaped string scratch (a stack: keys stay while their value parses)
    size_t sbuf_used, sbuf_cap;
    SV *yes, *no;        // boolean singleton referents (looked up lazily)
    char *err;
    size_t errsz;
    int failed;
} dec_t;

// ---------------------------------------------------------------- errors
static void dec_fail(dec_t *d, const char *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void dec_fail(dec_t *d, const char *at, const char *fmt, ...) {
    if (d->failed) return;
    d->failed = 1;
    size_t off = (size_t)(at - d->start), line = 1, col = 1;
    for (const char *q = d->start; q < at; q++) {
        if (*q == '\n') { line++; col = 1; }
        else if (((unsigned char)*q & 0xC0) != 0x80) col++;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(d->err, d->errsz, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n < d->errsz)
        snprintf(d->err + n, d->errsz - n, " at offset %zu (line %zu, column %zu)", off, line, col);
}

static int utf8_seq(const unsigned char *p, const unsigned char *end);

// Describes the unexpected byte at `at` ("'x'", "U+00E9", "end of input").
static void dec_unexpected(dec_t *d, const char *at, const char *expected) {
    if (at >= d->end) {
        dec_fail(d, at, "malformed JSON: unexpected end of JSON input (expected %s)", expected);
        return;
    }
    unsigned char c = (unsigned char)*at;
    if (c >= 0x21 && c < 0x7F)
        dec_fail(d, at, "malformed JSON: unexpected character '%c' (expected %s)", c, expected);
    else if (c < 0x80)
        dec_fail(d, at, "malformed JSON: unexpected character U+%04X (expected %s)", c, expected);
    else {
        const unsigned char *u = (const unsigned char *)at;
        int n = utf8_seq(u, (const unsigned char *)d->end);
        if (!n) { dec_fail(d, at, "malformed JSON: invalid UTF-8"); return; }
        unsigned cp = n == 2 ? ((u[0] & 0x1Fu) << 6) | (u[1] & 0x3Fu)
                    : n == 3 ? ((u[0] & 0x0Fu) << 12) | ((u[1] & 0x3Fu) << 6) | (u[2] & 0x3Fu)
                    : ((u[0] & 0x07u) << 18) | ((u[1] & 0x3Fu) << 12) | ((u[2] & 0x3Fu) << 6) | (u[3] & 0x3Fu);
        dec_fail(d, at, "malformed JSON: unexpected character U+%04X (expected %s)", cp, expected);
    }
}

// ---------------------------------------------------------------- helpers
// Length of the valid (RFC 3629: no overlongs, surrogates or > U+10FFFF) UTF-8 sequence at p, or 0.
static int utf8_seq(const unsigned char *p, const unsigned char *end) {
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

#define SKIP_WS(d) do { \
    while ((d)->p < (d)->end) { \
        char c_ = *(d)->p; \
        if (c_ == ' ' || c_ == '\n' || c_ == '\r' || c_ == '\t') (d)->p++; else break; \
    } } while (0)

static void sbuf_reserve(dec_t *d, size_t extra) {
    if (d->sbuf_used + extra <= d->sbuf_cap) return;
    size_t cap = d->sbuf_cap ? d->sbuf_cap : 256;
    while (cap < d->sbuf_used + extra) cap *= 2;
    char *n = realloc(d->sbuf, cap);
    if (!n) abort();
    d->sbuf = n;
    d->sbuf_cap = cap;
}

static int hexval(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static int read_hex4(dec_t *d, const char *q, unsigned *out) {
    if (d->end - q < 4) {
        dec_fail(d, q - 2, "malformed JSON: incomplete \\u escape in string");
        return 0;
    }
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval((unsigned char)q[i]);
        if (h < 0) {
            dec_fail(d, q - 2, "malformed JSON: invalid \\u escape in string (expected 4 hex digits)");
            return 0;
        }
        v = (v << 4) | (unsigned)h;
    }
    *out = v;
    return 1;
}

// ---------------------------------------------------------------- strings
// Parses the string whose opening quote is at d->p. On success *s/*len give its content: either
// a slice of the input (no escapes) or, with *scratch set, d->sbuf + *s_off (valid until the next
// string is parsed unless the caller bumps sbuf_used). Returns 0 on error.
static int dec_str(dec_t *d, const char **s, size_t *len, int *utf8, int *scratch, size_t *s_off) {
    const unsigned char *p = (const unsigned char *)d->p + 1, *end = (const unsigned char *)d->end;
    const unsigned char *begin = p;
    int u8 = 0;
    for (;;) {
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            uint64_t m = special_mask(w);
            if (m) { p += __builtin_ctzll(m) >> 3; goto special; }
            p += 8;
        }
        while (p < end && *p != '"' && *p != '\\' && *p >= 0x20 && *p < 0x80) p++;
        if (p >= end) {
            dec_fail(d, (const char *)end, "malformed JSON: unexpected end of JSON input (unterminated string)");
            return 0;
        }
    special:
        if (*p == '"') {
            *s = (const char *)begin; *len = (size_t)(p - begin); *utf8 = u8; *scratch = 0;
            d->p = (const char *)p + 1;
            return 1;
        }
        if (*p >= 0x80) {
            int n = utf8_seq(p, end);
            if (!n) { dec_fail(d, (const char *)p, "malformed JSON: invalid UTF-8 in string"); return 0; }
            p += n; u8 = 1;
            continue;
        }
        if (*p == '\\') break;
        dec_fail(d, (const char *)p, "malformed JSON: unescaped control character U+%04X in string", *p);
        return 0;
    }
    // Slow path: escapes. Copy into the scratch stack; the output never exceeds the input.
    size_t off = d->sbuf_used;
    sbuf_reserve(d, (size_t)(p - begin) + 64);
    char *o = d->sbuf + off;
    memcpy(o, begin, (size_t)(p - begin));
    o += p - begin;
    for (;;) {
        // here *p is a special byte
        unsigned char c = *p;
        if (c == '"') break;
        if (c == '\\') {
            if (end - p < 2) {
                dec_fail(d, (const char *)end, "malformed JSON: unexpected end of JSON input (unterminated string)");
                return 0;
            }
            size_t at = (size_t)(o - d->sbuf);
            d->sbuf_used = at;
            sbuf_reserve(d, 8);
            o = d->sbuf + at;
            switch (p[1]) {
            case '"': *o++ = '"'; p += 2; break;
            case '\\': *o++ = '\\'; p += 2; break;
            case '/': *o++ = '/'; p += 2; break;
            case 'b': *o++ = '\b'; p += 2; break;
            case 'f': *o++ = '\f'; p += 2; break;
            case 'n': *o++ = '\n'; p += 2; break;
            case 'r': *o++ = '\r'; p += 2; break;
            case 't': *o++ = '\t'; p += 2; break;
            case 'u': {
                unsigned cp;
                if (!read_hex4(d, (const char *)p + 2, &cp)) return 0;
                if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    dec_fail(d, (const char *)p, "malformed JSON: lone low surrogate \\u%04X in string", cp);
                    return 0;
                }
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned lo;
                    if (end - p < 12 || p[6] != '\\' || p[7] != 'u') {
                        dec_fail(d, (const char *)p, "malformed JSON: lone high surrogate \\u%04X in string (expected a following \\uDC00-\\uDFFF)", cp);
                        return 0;
                    }
                    if (!read_hex4(d, (const char *)p + 8, &lo)) return 0;
                    if (lo < 0xDC00 || lo > 0xDFFF) {
                        dec_fail(d, (const char *)p, "malformed JSON: lone high surrogate \\u%04X in string (followed by \\u%04X)", cp, lo);
                        return 0;
                    }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
                p += 6;
                if (cp < 0x80) *o++ = (char)cp;
                else if (cp < 0x800) {
                    *o++ = (char)(0xC0 | (cp >> 6)); *o++ = (char)(0x80 | (cp & 0x3F)); u8 = 1;
                } else if (cp < 0x10000) {
                    *o++ = (char)(0xE0 | (cp >> 12)); *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                    *o++ = (char)(0x80 | (cp & 0x3F)); u8 = 1;
                } else {
                    *o++ = (char)(0xF0 | (cp >> 18)); *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
                    *o++ = (char)(0x80 | ((cp >> 6) & 0x3F)); *o++ = (char)(0x80 | (cp & 0x3F)); u8 = 1;
                }
                break;
            }
            default:
                if (p[1] >= 0x21 && p[1] < 0x7F)
                    dec_fail(d, (const char *)p, "malformed JSON: invalid escape '\\%c' in string", p[1]);
                else
                    dec_fail(d, (const char *)p, "malformed JSON: invalid escape in string");
                return 0;
            }
        } else if (c >= 0x80) {
            int n = utf8_seq(p, end);
            if (!n) { dec_fail(d, (const char *)p, "malformed JSON: invalid UTF-8 in string"); return 0; }
            size_t at = (size_t)(o - d->sbuf);
            d->sbuf_used = at;
            sbuf_reserve(d, 4);
            o = d->sbuf + at;
            memcpy(o, p, (size_t)n);
            o += n; p += n; u8 = 1;
        } else {
            dec_fail(d, (const char *)p, "malformed JSON: unescaped control character U+%04X in string", c);
            return 0;
        }
        // copy the next plain run
        const unsigned char *run = p;
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            uint64_t m = special_mask(w);
            if (m) { p += __builtin_ctzll(m) >> 3; goto copy; }
            p += 8;
        }
        while (p < end && *p != '"' && *p != '\\' && *p >= 0x20 && *p < 0x80) p++;
        if (p >= end) {
            dec_fail(d, (const char *)end, "malformed JSON: unexpected end of JSON input (unterminated string)");
            return 0;
        }
    copy:
        if (p > run) {
            size_t at = (size_t)(o - d->sbuf);
            d->sbuf_used = at;
            sbuf_reserve(d, (size_t)(p - run));
            o = d->sbuf + at;
            memcpy(o, run, (size_t)(p - run));
            o += p - run;
        }
    }
    *s_off = off; *s = d->sbuf + off; *len = (size_t)(o - (d->sbuf + off)); *utf8 = u8; *scratch = 1;
    d->sbuf_used = off;
    d->p = (const char *)p + 1;
    return 1;
}

// ---------------------------------------------------------------- numbers
static const double pow10_tab[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static SV *dec_number(pTHX_ dec_t *d) {
    const char *p = d->p, *end = d->end, *start = p;
    int neg = 0, is_nv = 0, overflow = 0;
    UV m = 0;
    long exp10 = 0;
    if (*p == '-') { neg = 1; p++; }
    if (p >= end || (unsigned)(*p - '0') > 9) { dec_unexpected(d, p, "a digit"); return NULL; }
    if (*p == '0') {
        p++;
        if (p < end && (unsigned)(*p - '0') <= 9) {
            dec_fail(d, start, "malformed JSON: leading zeros are not allowed in numbers");
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
        if (p >= end || (unsigned)(*p - '0') > 9) { dec_unexpected(d, p, "a digit after the decimal point"); return NULL; }
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
        if (p >= end || (unsigned)(*p - '0') > 9) { dec_unexpected(d, p, "a digit in the exponent"); return NULL; }
        while (p < end && (unsigned)(*p - '0') <= 9) {
            if (e < 100000) e = e * 10 + (*p - '0');
            p++;
        }
        exp10 += eneg ? -e : e;
        is_nv = 1;
    }
    d->p = p;
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

// ---------------------------------------------------------------- values
static SV *dec_value(pTHX_ dec_t *d);

static SV *dec_array(pTHX_ dec_t *d) {
    if (UNLIKELY(++d->depth > CPJ_MAX_DEPTH)) {
        dec_fail(d, d->p, "JSON nesting exceeds %d levels", CPJ_MAX_DEPTH);
        return NULL;
    }
    size_t base = d->stk_len;
    d->p++;
    SKIP_WS(d);
    if (d->p < d->end && *d->p == ']') {
        d->p++;
        d->depth--;
        return newRV_noinc((SV *)newAV());
    }
    for (;;) {
        SV *v = dec_value(aTHX_ d);
        if (UNLIKELY(!v)) goto fail;
        if (UNLIKELY(d->stk_len == d->stk_cap)) {
            size_t cap = d->stk_cap ? d->stk_cap * 2 : 64;
            SV **n = realloc(d->stk, cap * sizeof(SV *));
            if (!n) abort();
            d->stk = n;
            d->stk_cap = cap;
        }
        d->stk[d->stk_len++] = v;
        SKIP_WS(d);
        if (LIKELY(d->p < d->end)) {
            if (*d->p == ',') { d->p++; SKIP_WS(d); continue; }
            if (*d->p == ']') { d->p++; break; }
        }
        dec_unexpected(d, d->p, "',' or ']' after an array element");
        goto fail;
    }
    {
        size_t n = d->stk_len - base;
        AV *av = newAV_alloc_x((SSize_t)n);
        Copy(d->stk + base, AvARRAY(av), n, SV *);
        AvFILLp(av) = (SSize_t)n - 1;
        d->stk_len = base;
        d->depth--;
        return newRV_noinc((SV *)av);
    }
fail:
    while (d->stk_len > base) SvREFCNT_dec(d->stk[--d->stk_len]);
    return NULL;
}

static SV *dec_object(pTHX_ dec_t *d) {
    if (UNLIKELY(++d->depth > CPJ_MAX_DEPTH)) {
        dec_fail(d, d->p, "JSON nesting exceeds %d levels", CPJ_MAX_DEPTH);
        return NULL;
    }
    HV *hv = newHV();
    d->p++;
    SKIP_WS(d);
    if (d->p < d->end && *d->p == '}') {
        d->p++;
        d->depth--;
        return newRV_noinc((SV *)hv);
    }
    for (;;) {
        if (UNLIKELY(d->p >= d->end || *d->p != '"')) {
            dec_unexpected(d, d->p, "'\"' starting an object key");
            goto fail;
        }
        const char *k;
        size_t klen, koff = 0;
        int ku8, kscratch;
        if (!dec_str(d, &k, &klen, &ku8, &kscratch, &koff)) goto fail;
        if (UNLIKELY(klen > I32_MAX)) { dec_fail(d, d->p, "object key too long"); goto fail; }
        if (kscratch) d->sbuf_used = koff + klen; // keep the key while the value parses
        SKIP_WS(d);
        if (UNLIKELY(d->p >= d->end || *d->p != ':')) {
            dec_unexpected(d, d->p, "':' after an object key");
            goto fail;
        }
        d->p++;
        SKIP_WS(d);
        SV *v = dec_value(aTHX_ d);
        if (UNLIKELY(!v)) goto fail;
        if (kscratch) { k = d->sbuf + koff; d->sbuf_used = koff; }
        (void)hv_common_key_len(hv, k, ku8 ? -(I32)klen : (I32)klen, HV_FETCH_ISSTORE, v, 0);
        SKIP_WS(d);
        if (LIKELY(d->p < d->end)) {
            if (*d->p == ',') { d->p++; SKIP_WS(d); continue; }
            if (*d->p == '}') { d->p++; break; }
        }
        dec_unexpected(d, d->p, "',' or '}' after an object member");
        goto fail;
    }
    d->depth--;
    return newRV_noinc((SV *)hv);
fail:
    SvREFCNT_dec((SV *)hv);
    return NULL;
}

static SV *dec_literal(pTHX_ dec_t *d, const char *word, size_t n) {
    const char *p = d->p;
    for (size_t i = 0; i < n; i++) {
        if (p + i >= d->end || p[i] != word[i]) {
            dec_unexpected(d, p + i, word[0] == 'n' ? "'null'" : word[0] == 't' ? "'true'" : "'false'");
            return NULL;
        }
    }
    d->p += n;
    if (word[0] == 'n') return newSV(0);
    if (!d->yes) cpj__bools(aTHX_ &d->yes, &d->no);
    return newRV_inc(word[0] == 't' ? d->yes : d->no);
}

static SV *dec_value(pTHX_ dec_t *d) {
    if (UNLIKELY(d->p >= d->end)) { dec_unexpected(d, d->p, "a JSON value"); return NULL; }
    switch (*d->p) {
    case '"': {
        const char *s;
        size_t len, off;
        int u8, scratch;
        if (!dec_str(d, &s, &len, &u8, &scratch, &off)) return NULL;
        SV *sv = newSVpvn(s, len);
        if (u8) SvUTF8_on(sv);
        return sv;
    }
    case '{': return dec_object(aTHX_ d);
    case '[': return dec_array(aTHX_ d);
    case 't': return dec_literal(aTHX_ d, "true", 4);
    case 'f': return dec_literal(aTHX_ d, "false", 5);
    case 'n': return dec_literal(aTHX_ d, "null", 4);
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        return dec_number(aTHX_ d);
    default:
        dec_unexpected(d, d->p, "a JSON value");
        return NULL;
    }
}

// ---------------------------------------------------------------- entry points
SV *cpj__decode(pTHX_ const char *json, size_t len, char *err, size_t errsz) {
    dec_t d;
    memset(&d, 0, sizeof d);
    d.start = d.p = json;
    d.end = json + len;
    d.err = err;
    d.errsz = errsz;
    if (errsz) err[0] = '\0';
    if (len == 0) {
        snprintf(err, errsz, "malformed JSON: empty input (expected a JSON value)");
        return NULL;
    }
    SKIP_WS(&d);
    SV *v = dec_value(aTHX_ &d);
    if (v) {
        SKIP_WS(&d);
        if (d.p < d.end) {
            dec_unexpected(&d, d.p, "end of input after the JSON value");
            SvREFCNT_dec(v);
            v = NULL;
        }
    }
    while (d.stk_len) SvREFCNT_dec(d.stk[--d.stk_len]); // only non-empty after an error
    free(d.stk);
    free(d.sbuf);
    return v;
}

SV *cpj_decode(pTHX_ const char *json, size_t len, cperl_buf *err) {
    char msg[512];
    SV *v = cpj__decode(aTHX_ json, len, msg, sizeof msg);
    if (!v && err) cperl_buf_append(err, msg, strlen(msg));
    return v;
}
