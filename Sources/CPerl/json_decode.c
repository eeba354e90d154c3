// JSON decoder (strict RFC 8259, UTF-8 input) building Perl SVs directly while parsing.
// Semantics follow JSON::XS decode_json; see cperl_internal.h for the contract.
#include "json_internal.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>



typedef struct {
    const char *key;     // in the input, or NULL: d->sb.data + koff (the scratch may move)
    size_t koff;
    I32 klen;            // negative: UTF-8 key
    SV *val;
} dec_member;

typedef struct {
    const char *start, *p, *end;
    int depth;
    SV **stk;            // array elements being collected (a stack shared by nesting levels)
    size_t stk_len, stk_cap;
    cpj_sbuf sb;         // unescaped string scratch (a stack: keys stay until their hash is built)
    SV *yes, *no;        // boolean singleton referents (looked up lazily)
    char *err;
    size_t errsz;
    int failed;
    dec_member *mem;     // object members being collected (a stack, like stk)
    size_t mem_len, mem_cap;
    SV *stk_local[128];   // small documents never touch the heap for scratch
    dec_member mem_local[64];
    char sbuf_local[1024];
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
        int n = cpj_utf8_seq(u, (const unsigned char *)d->end);
        if (!n) { dec_fail(d, at, "malformed JSON: invalid UTF-8"); return; }
        unsigned cp = n == 2 ? ((u[0] & 0x1Fu) << 6) | (u[1] & 0x3Fu)
                    : n == 3 ? ((u[0] & 0x0Fu) << 12) | ((u[1] & 0x3Fu) << 6) | (u[2] & 0x3Fu)
                    : ((u[0] & 0x07u) << 18) | ((u[1] & 0x3Fu) << 12) | ((u[2] & 0x3Fu) << 6) | (u[3] & 0x3Fu);
        dec_fail(d, at, "malformed JSON: unexpected character U+%04X (expected %s)", cp, expected);
    }
}

// ---------------------------------------------------------------- helpers

#define SKIP_WS(d) do { \
    while ((d)->p < (d)->end) { \
        char c_ = *(d)->p; \
        if (c_ == ' ' || c_ == '\n' || c_ == '\r' || c_ == '\t') (d)->p++; else break; \
    } } while (0)

// ---------------------------------------------------------------- strings
static int dec_str(dec_t *d, const char **s, size_t *len, int *utf8, int *scratch, size_t *s_off) {
    const char *at = NULL;
    char msg[160];
    if (LIKELY(cpj__dec_str(&d->p, d->end, &d->sb, s, len, utf8, scratch, s_off, &at, msg, sizeof msg))) return 1;
    dec_fail(d, at, "%s", msg);
    return 0;
}

// ---------------------------------------------------------------- numbers
static SV *dec_number(pTHX_ dec_t *d) {
    const char *at = NULL, *expected = NULL, *msg = NULL;
    SV *sv = cpj__dec_number(aTHX_ &d->p, d->end, &at, &expected, &msg);
    if (UNLIKELY(!sv)) {
        if (msg) dec_fail(d, at, "%s", msg);
        else dec_unexpected(d, at, expected);
    }
    return sv;
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
            size_t cap = d->stk_cap * 2;
            SV **n = d->stk == d->stk_local ? malloc(cap * sizeof(SV *)) : realloc(d->stk, cap * sizeof(SV *));
            if (!n) abort();
            if (d->stk == d->stk_local) memcpy(n, d->stk_local, d->stk_len * sizeof(SV *));
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
        if (n) Copy(d->stk + base, AvARRAY(av), n, SV *);
        AvFILLp(av) = (SSize_t)n - 1;
        d->stk_len = base;
        d->depth--;
        return newRV_noinc((SV *)av);
    }
fail:
    while (d->stk_len > base) SvREFCNT_dec(d->stk[--d->stk_len]);
    return NULL;
}

// Members are collected first so the hash can be created at its final size (no splits).
static SV *dec_object(pTHX_ dec_t *d) {
    if (UNLIKELY(++d->depth > CPJ_MAX_DEPTH)) {
        dec_fail(d, d->p, "JSON nesting exceeds %d levels", CPJ_MAX_DEPTH);
        return NULL;
    }
    size_t base = d->mem_len, sbase = d->sb.used;
    d->p++;
    SKIP_WS(d);
    if (d->p < d->end && *d->p == '}') {
        d->p++;
        d->depth--;
        return newRV_noinc((SV *)newHV());
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
        if (UNLIKELY(klen > I32_MAX)) { dec_fail(d, d->p, "malformed JSON: object key too long"); goto fail; }
        if (kscratch) d->sb.used = koff + klen; // keep the key until the hash is built
        SKIP_WS(d);
        if (UNLIKELY(d->p >= d->end || *d->p != ':')) {
            dec_unexpected(d, d->p, "':' after an object key");
            goto fail;
        }
        d->p++;
        SKIP_WS(d);
        SV *v = dec_value(aTHX_ d);
        if (UNLIKELY(!v)) goto fail;
        if (UNLIKELY(d->mem_len == d->mem_cap)) {
            size_t cap = d->mem_cap * 2;
            dec_member *n = d->mem == d->mem_local ? malloc(cap * sizeof *n) : realloc(d->mem, cap * sizeof *n);
            if (!n) abort();
            if (d->mem == d->mem_local) memcpy(n, d->mem_local, d->mem_len * sizeof *n);
            d->mem = n;
            d->mem_cap = cap;
        }
        dec_member *m = &d->mem[d->mem_len++];
        m->key = kscratch ? NULL : k;
        m->koff = koff;
        m->klen = ku8 ? -(I32)klen : (I32)klen;
        m->val = v;
        SKIP_WS(d);
        if (LIKELY(d->p < d->end)) {
            if (*d->p == ',') { d->p++; SKIP_WS(d); continue; }
            if (*d->p == '}') { d->p++; break; }
        }
        dec_unexpected(d, d->p, "',' or '}' after an object member");
        goto fail;
    }
    {
        HV *hv = newHV();
        size_t n = d->mem_len - base;
        if (n > 5) hv_ksplit(hv, n);
        for (dec_member *m = d->mem + base, *e = d->mem + d->mem_len; m < e; m++)
            (void)hv_common(hv, NULL, m->key ? m->key : d->sb.data + m->koff, m->klen < 0 ? (STRLEN)-m->klen : (STRLEN)m->klen,
                            m->klen < 0 ? HVhek_UTF8 : 0, HV_FETCH_ISSTORE, m->val, 0);
        d->mem_len = base;
        d->sb.used = sbase;
        d->depth--;
        return newRV_noinc((SV *)hv);
    }
fail:
    while (d->mem_len > base) SvREFCNT_dec(d->mem[--d->mem_len].val);
    d->sb.used = sbase;
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
    memset(&d, 0, offsetof(dec_t, stk_local));
    d.stk = d.stk_local;
    d.stk_cap = sizeof d.stk_local / sizeof d.stk_local[0];
    d.mem = d.mem_local;
    d.mem_cap = sizeof d.mem_local / sizeof d.mem_local[0];
    d.sb.data = d.sb.local = d.sbuf_local;
    d.sb.cap = sizeof d.sbuf_local;
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
    while (d.mem_len) SvREFCNT_dec(d.mem[--d.mem_len].val);
    if (d.stk != d.stk_local) free(d.stk);
    if (d.mem != d.mem_local) free(d.mem);
    if (d.sb.data != d.sb.local) free(d.sb.data);
    return v;
}

SV *cpj_decode(pTHX_ const char *json, size_t len, cperl_buf *err) {
    char msg[512];
    SV *v = cpj__decode(aTHX_ json, len, msg, sizeof msg);
    if (!v && err) cperl_buf_append(err, msg, strlen(msg));
    return v;
}
