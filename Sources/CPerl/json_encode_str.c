// JSON string escaping for the encoder: character strings (SvUTF8) are copied as validated UTF-8,
// byte strings are treated as Latin-1 and upgraded; '"', '\\' and controls < 0x20 are escaped.
#include "json_internal.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>



static const char hexd[] = "0123456789abcdef";

// Reports why the UTF-8 at p (a lead byte >= 0x80) is not encodable.
static int bad_utf8(cpj_enc *e, const unsigned char *p, const unsigned char *end) {
    unsigned c = p[0];
    int n = c >= 0xF8 ? 0 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    if (n && end - p >= n) {
        unsigned long cp = c & (0x7Fu >> n);
        int ok = 1;
        for (int i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80) { ok = 0; break; }
            cp = (cp << 6) | (p[i] & 0x3Fu);
        }
        if (ok && cp >= 0xD800 && cp <= 0xDFFF) {
            snprintf(e->err, sizeof e->err, "cannot encode string containing the surrogate U+%04lX as JSON", cp);
            return -1;
        }
        if (ok && cp > 0x10FFFF) {
            snprintf(e->err, sizeof e->err, "cannot encode string containing the non-Unicode code point U+%lX as JSON", cp);
            return -1;
        }
    }
    snprintf(e->err, sizeof e->err, "cannot encode string with malformed UTF-8 as JSON");
    return -1;
}

int cpj__enc_str(pTHX_ cpj_enc *e, const char *s, STRLEN len, int utf8) {
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    // Invariant: room for the rest of the input plus the closing quote (+8 for word stores).
    NEED(e, len + 10);
    char *o = e->cur;
    *o++ = '"';
    for (;;) {
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            memcpy(o, &w, 8); // speculative store; only the clean prefix is kept
            uint64_t m = cpj_special_mask(w);
            if (m) {
                unsigned k = (unsigned)__builtin_ctzll(m) >> 3;
                p += k; o += k;
                goto special;
            }
            p += 8; o += 8;
        }
        while (p < end && *p != '"' && *p != '\\' && *p >= 0x20 && *p < 0x80) *o++ = (char)*p++;
        if (p >= end) break;
    special: {
        unsigned c = *p;
        e->cur = o;
        NEED(e, (size_t)(end - p) + 16); // worst single expansion is 6 bytes for 1
        o = e->cur;
        if (c >= 0x80) {
            if (!utf8) { // Latin-1 byte -> 2-byte UTF-8
                *o++ = (char)(0xC0 | (c >> 6));
                *o++ = (char)(0x80 | (c & 0x3F));
                p++;
                continue;
            }
            ptrdiff_t avail = end - p;
            int n;
            if (c < 0xC2) n = 0;
            else if (c < 0xE0) n = (avail >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
            else if (c < 0xF0)
                n = (avail >= 3 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80 &&
                     !(c == 0xE0 && p[1] < 0xA0) && !(c == 0xED && p[1] >= 0xA0)) ? 3 : 0;
            else if (c < 0xF5)
                n = (avail >= 4 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80 && (p[3] & 0xC0) == 0x80 &&
                     !(c == 0xF0 && p[1] < 0x90) && !(c == 0xF4 && p[1] >= 0x90)) ? 4 : 0;
            else n = 0;
            if (UNLIKELY(!n)) { e->cur = o; return bad_utf8(e, p, end); }
            memcpy(o, p, 4 <= avail ? 4 : (size_t)n); // room is guaranteed by NEED above
            o += n; p += n;
            continue;
        }
        p++;
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        default:
            *o++ = 'u'; *o++ = '0'; *o++ = '0';
            *o++ = hexd[c >> 4]; *o++ = hexd[c & 15];
        }
    }
    }
    *o++ = '"';
    e->cur = o;
    return 0;
}
