// JSON string scanning for the decoder: an 8-bytes-at-a-time scan for the closing quote; strings
// without escapes are returned as a slice of the input, others are unescaped into a scratch stack.
#include "json_internal.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>



typedef struct { const char **at; char *msg; size_t msgsz; } str_ctx;

static void str_fail(str_ctx *c, const char *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void str_fail(str_ctx *c, const char *at, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, c->msgsz, fmt, ap);
    va_end(ap);
    *c->at = at;
}


static void sbuf_reserve(cpj_sbuf *d, size_t extra) {
    if (d->used + extra <= d->cap) return;
    size_t cap = d->cap * 2;
    while (cap < d->used + extra) cap *= 2;
    char *n = d->data == d->local ? malloc(cap) : realloc(d->data, cap);
    if (!n) abort();
    if (d->data == d->local) memcpy(n, d->local, d->used);
    d->data = n;
    d->cap = cap;
}

static int hexval(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static int read_hex4(str_ctx *d, const char *q, const unsigned char *end, unsigned *out) {
    if ((const char *)end - q < 4) {
        str_fail(d, q - 2, "malformed JSON: incomplete \\u escape in string");
        return 0;
    }
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval((unsigned char)q[i]);
        if (h < 0) {
            str_fail(d, q - 2, "malformed JSON: invalid \\u escape in string (expected 4 hex digits)");
            return 0;
        }
        v = (v << 4) | (unsigned)h;
    }
    *out = v;
    return 1;
}

// Parses the string whose opening quote is at d->p. On success *s/*len give its content: either
// a slice of the input (no escapes) or, with *scratch set, d->data + *s_off (valid until the next
// string is parsed unless the caller bumps sbuf_used). Returns 0 on error.
int cpj__dec_str(const char **pp, const char *end_, cpj_sbuf *sb, const char **s, size_t *len, int *utf8,
                 int *scratch, size_t *s_off, const char **err_at, char *msg, size_t msgsz) {
    str_ctx ctx = {err_at, msg, msgsz}, *d = &ctx;
    const unsigned char *p = (const unsigned char *)*pp + 1, *end = (const unsigned char *)end_;
    const unsigned char *begin = p;
    int u8 = 0;
    for (;;) {
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            uint64_t m = cpj_special_mask(w);
            if (m) { p += __builtin_ctzll(m) >> 3; goto special; }
            p += 8;
        }
        while (p < end && *p != '"' && *p != '\\' && *p >= 0x20 && *p < 0x80) p++;
        if (p >= end) {
            str_fail(d, (const char *)end, "malformed JSON: unexpected end of JSON input (unterminated string)");
            return 0;
        }
    special:
        if (*p == '"') {
            *s = (const char *)begin; *len = (size_t)(p - begin); *utf8 = u8; *scratch = 0;
            *pp = (const char *)p + 1;
            return 1;
        }
        if (*p >= 0x80) {
            int n = cpj_utf8_seq(p, end);
            if (!n) { str_fail(d, (const char *)p, "malformed JSON: invalid UTF-8 in string"); return 0; }
            p += n; u8 = 1;
            continue;
        }
        if (*p == '\\') break;
        str_fail(d, (const char *)p, "malformed JSON: unescaped control character U+%04X in string", *p);
        return 0;
    }
    // Slow path: escapes. Copy into the scratch stack; the output never exceeds the input.
    size_t off = sb->used;
    sbuf_reserve(sb, (size_t)(p - begin) + 64);
    char *o = sb->data + off;
    memcpy(o, begin, (size_t)(p - begin));
    o += p - begin;
    for (;;) {
        // here *p is a special byte
        unsigned char c = *p;
        if (c == '"') break;
        if (c == '\\') {
            if (end - p < 2) {
                str_fail(d, (const char *)end, "malformed JSON: unexpected end of JSON input (unterminated string)");
                return 0;
            }
            size_t at = (size_t)(o - sb->data);
            sb->used = at;
            sbuf_reserve(sb, 8);
            o = sb->data + at;
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
                if (!read_hex4(d, (const char *)p + 2, end, &cp)) return 0;
                if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    str_fail(d, (const char *)p, "malformed JSON: lone low surrogate \\u%04X in string", cp);
                    return 0;
                }
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned lo;
                    if (end - p < 12 || p[6] != '\\' || p[7] != 'u') {
                        str_fail(d, (const char *)p, "malformed JSON: lone high surrogate \\u%04X in string (expected a following \\uDC00-\\uDFFF)", cp);
                        return 0;
                    }
                    if (!read_hex4(d, (const char *)p + 8, end, &lo)) return 0;
                    if (lo < 0xDC00 || lo > 0xDFFF) {
                        str_fail(d, (const char *)p, "malformed JSON: lone high surrogate \\u%04X in string (followed by \\u%04X)", cp, lo);
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
                    str_fail(d, (const char *)p, "malformed JSON: invalid escape '\\%c' in string", p[1]);
                else
                    str_fail(d, (const char *)p, "malformed JSON: invalid escape in string");
                return 0;
            }
        } else if (c >= 0x80) {
            int n = cpj_utf8_seq(p, end);
            if (!n) { str_fail(d, (const char *)p, "malformed JSON: invalid UTF-8 in string"); return 0; }
            size_t at = (size_t)(o - sb->data);
            sb->used = at;
            sbuf_reserve(sb, 4);
            o = sb->data + at;
            memcpy(o, p, (size_t)n);
            o += n; p += n; u8 = 1;
        } else {
            str_fail(d, (const char *)p, "malformed JSON: unescaped control character U+%04X in string", c);
            return 0;
        }
        // copy the next plain run
        const unsigned char *run = p;
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            uint64_t m = cpj_special_mask(w);
            if (m) { p += __builtin_ctzll(m) >> 3; goto copy; }
            p += 8;
        }
        while (p < end && *p != '"' && *p != '\\' && *p >= 0x20 && *p < 0x80) p++;
        if (p >= end) {
            str_fail(d, (const char *)end, "malformed JSON: unexpected end of JSON input (unterminated string)");
            return 0;
        }
    copy:
        if (p > run) {
            size_t at = (size_t)(o - sb->data);
            sb->used = at;
            sbuf_reserve(sb, (size_t)(p - run));
            o = sb->data + at;
            memcpy(o, run, (size_t)(p - run));
            o += p - run;
        }
    }
    *s_off = off; *s = sb->data + off; *len = (size_t)(o - (sb->data + off)); *utf8 = u8; *scratch = 1;
    sb->used = off;
    *pp = (const char *)p + 1;
    return 1;
}

