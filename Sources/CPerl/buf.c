#include <stdlib.h>
#include <string.h>
#include "include/cperl.h"

void cperl_buf_free(cperl_buf *buf) {
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
}

void cperl_buf_append(cperl_buf *buf, const char *bytes, size_t len) {
    if (buf->len + len + 1 > buf->cap) {
        size_t cap = buf->cap ? buf->cap : 256;
        while (cap < buf->len + len + 1) cap *= 2;
        char *grown = realloc(buf->data, cap);
        if (!grown) abort();
        buf->data = grown;
        buf->cap = cap;
    }
    memcpy(buf->data + buf->len, bytes, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
}
