// PerlLambda::Host::_psgi_env($event, \@psgi_version, $empty_input, \$empty_body): the PSGI env of an API Gateway
// REST (v1), HTTP API (v2), Function URL or ALB event, built in C for AWS::Lambda::PSGI
// (perl/lib/AWS/Lambda/PSGI.pm, _format_input_xs) inside the bootstrap; and _psgi_prelude (at the end).
//
// It is the exact counterpart of the part of _format_input_pp that turns an event into the env (everything but
// a body's psgi.input and the context's keys, which PSGI.pm adds): the same keys and the same values byte for
// byte, with the same utf8 flags. The pure-Perl code stays the reference: for any input this code is not sure
// to convert exactly as it does (blessed or tied containers, non-string values, header names or values with
// non-ASCII, null or empty multi-value headers, two names of one env key in multiValueHeaders, strings flagged
// utf8 that need no escaping, HTTP API paths flagged utf8, ...) it declines, returning undef, and PSGI.pm runs
// the Perl code. t/psgi/xs_env.t compares the two over fixtures and a generated corpus.
//
// Why: the env is most of a request's cost under perl (6.9 µs of 9.8 for a streamed REST request, 5.8 of 8.5
// for ALB), and the pure-Perl code is at its floor; here it costs about a third of that, freeing included.
#include "cperl_internal.h"

enum { SET_PATH = 1, SET_QUERY = 2, SET_PARAM = 4, SET_RAW = 8 };
/// Bytes left as they are: SET_PATH in paths (A-Za-z0-9-._~!$&'()*+,;=:@/%), SET_QUERY in ALB query strings
/// and raw query strings (the same and '?'), SET_PARAM in REST parameters (without '&', '=', '%'; with '?'),
/// SET_RAW in decoded paths (SET_PATH without '%'), as in PSGI.pm.
static unsigned char psgi_set[256];

static void psgi_tables(void) {
    for (int c = 0; c < 256; c++) {
        unsigned char m = 0;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c && strchr("-._~!$'()*+,;:@/", c)))
            m = SET_PATH | SET_QUERY | SET_PARAM | SET_RAW;
        else if (c && strchr("&=", c)) m = SET_PATH | SET_QUERY | SET_RAW;
        else if (c == '%') m = SET_PATH | SET_QUERY;
        else if (c == '?') m = SET_QUERY | SET_PARAM;
        psgi_set[c] = m;
    }
}

/// Per interpreter (in the XSUB's CvXSUBANY): the env's fixed keys as shared hash keys, which carry their hash
/// and go into the env by a reference count instead of a string-table lookup, and its constant values, which
/// copies share (copy-on-write) instead of allocating.
enum { K_VERSION, K_ERRORS, K_RUN_ONCE, K_MULTITHREAD, K_MULTIPROCESS, K_STREAMING, K_NONBLOCKING, K_BUFFERED,
       K_EVENT, K_EVENT_TYPE, K_METHOD, K_SCRIPT, K_PATH_INFO, K_QUERY, K_URI, K_SCHEME, K_SERVER_NAME,
       K_SERVER_PORT, K_PROTOCOL, K_REMOTE, K_HOST, K_MULTI, K_INPUT, K_CONTENT_LENGTH, K_XF_PROTO, K_XF_PORT, K_XF_FOR, K_COUNT };
static const char *const psgi_key_names[K_COUNT] = {
    "psgi.version", "psgi.errors", "psgi.run_once", "psgi.multithread", "psgi.multiprocess", "psgi.streaming",
    "psgi.nonblocking", "psgix.input.buffered", "aws.lambda.event", "aws.lambda.event_type", "REQUEST_METHOD",
    "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "REQUEST_URI", "psgi.url_scheme", "SERVER_NAME", "SERVER_PORT",
    "SERVER_PROTOCOL", "REMOTE_ADDR", "HTTP_HOST", "aws.lambda.multi_value", "psgi.input", "CONTENT_LENGTH", "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_FOR" };
enum { V_EMPTY, V_ALB, V_V1, V_V2, V_GET, V_HTTPS, V_HTTP, V_HTTP11, V_LOCALHOST, V_LOOPBACK, V_COUNT };
static const char *const psgi_value_strings[V_COUNT] = { "", "alb", "v1", "v2", "GET", "https", "http", "HTTP/1.1",
                                                         "localhost", "127.0.0.1" };
typedef struct { SV *key[K_COUNT]; SV *value[V_COUNT]; } psgi_consts;

#define STORE(k, v) (void)hv_store_ent(env, C->key[k], (v), 0)
#define CONST(v) newSVsv(C->value[v])
#define FETCH_ENV(k) ((he_ = hv_fetch_ent(env, C->key[k], 0, 0)) ? HeVAL(he_) : NULL)
#define DECLINE() goto decline

/// The value of `key` in `hv` (NULL for a missing or undefined one, or no hash); *bad set for magic values.
static SV *fetch(pTHX_ HV *hv, const char *key, I32 klen, int *bad) {
    if (!hv) return NULL;
    SV **svp = hv_fetch(hv, key, klen, 0);
    if (!svp) return NULL;
    if (SvGMAGICAL(*svp)) { *bad = 1; return NULL; }
    return SvOK(*svp) ? *svp : NULL;
}
#define FETCH(hv, lit) fetch(aTHX_ (hv), "" lit "", sizeof(lit) - 1, &bad)

/// 1: a plain hash reference (ref eq 'HASH'), in *out; 0: anything else Perl's `ref ne 'HASH'` takes as no hash;
/// -1: blessed or tied (declined).
static int as_hash(SV *sv, HV **out) {
    *out = NULL;
    if (!sv || !SvROK(sv)) return 0;
    SV *r = SvRV(sv);
    if (SvOBJECT(r)) return -1;
    if (SvTYPE(r) != SVt_PVHV) return 0;
    if (SvRMAGICAL(r)) return -1;
    *out = (HV *)r;
    return 1;
}

static int is_ascii(const char *s, STRLEN len) {
    for (STRLEN i = 0; i < len; i++) if ((unsigned char)s[i] & 0x80) return 0;
    return 1;
}

/// A string (not a number, reference or undef) without magic.
static int plain_str(SV *sv) { return sv && SvPOK(sv) && !SvROK(sv) && !SvGMAGICAL(sv); }

/// A header value the env takes as it is: a byte string of ASCII (the Perl code copies these unchanged on every
/// one of its paths; others it may encode, or not, depending on its caches).
static int plain_header_value(SV *sv) {
    return plain_str(sv) && !SvUTF8(sv) && is_ascii(SvPVX(sv), SvCUR(sv));
}

/// The env key of a header name (_hkey: upper case, '-' → '_', HTTP_ but for Content-Type/-Length) into buf
/// (256 bytes); 0 for names this code leaves to Perl (non-ASCII: uc would change them by Unicode rules; long).
static int header_key(const char *name, I32 nlen, char *buf, STRLEN *klen) {
    if (nlen < 0 || nlen > 240) return 0;
    char *k = buf + 5;
    for (I32 i = 0; i < nlen; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c & 0x80) return 0;
        k[i] = c == '-' ? '_' : (c >= 'a' && c <= 'z') ? (char)(c - 32) : (char)c;
    }
    if ((nlen == 12 && memcmp(k, "CONTENT_TYPE", 12) == 0) || (nlen == 14 && memcmp(k, "CONTENT_LENGTH", 14) == 0)) {
        memmove(buf, k, (size_t)nlen);
        *klen = (STRLEN)nlen;
    } else {
        memcpy(buf, "HTTP_", 5);
        *klen = (STRLEN)nlen + 5;
    }
    return 1;
}

/// headers alone (_single_headers): each value as it is, the last of names of one env key in key order.
static int single_headers(pTHX_ HV *env, HV *h) {
    char key[256];
    STRLEN klen;
    HE *he;
    hv_iterinit(h);
    while ((he = hv_iternext(h))) {
        I32 nlen;
        const char *name = hv_iterkey(he, &nlen);
        SV *v = HeVAL(he);
        if (!plain_header_value(v) || !header_key(name, nlen, key, &klen)) return 0;
        (void)hv_store(env, key, (I32)klen, newSVsv(v), 0);
    }
    return 1;
}

/// multiValueHeaders into the env: values joined with ', ' (a Cookie header's with '; '); `both` counts the names
/// also in `single`. `again`: the second pass, after the names only in headers (see multi_headers).
static int store_multi(pTHX_ HV *env, HV *multi, HV *single, I32 *both, int again) {
    char key[256];
    STRLEN klen;
    HE *he;
    hv_iterinit(multi);
    while ((he = hv_iternext(multi))) {
        I32 nlen;
        const char *name = hv_iterkey(he, &nlen);
        if (!header_key(name, nlen, key, &klen)) return 0;
        SV *vs = HeVAL(he);
        if (!SvROK(vs) || SvGMAGICAL(vs)) return 0;
        AV *av = (AV *)SvRV(vs);
        if (SvTYPE(av) != SVt_PVAV || SvOBJECT(av) || SvRMAGICAL(av)) return 0;
        SSize_t n = av_top_index(av) + 1;
        if (n < 1) return 0;
        SV **items = AvARRAY(av);
        for (SSize_t i = 0; i < n; i++) if (!items[i] || !plain_header_value(items[i])) return 0;
        // one lookup for the check and the store (a separate hv_exists cost 0.2 µs for eight headers)
        SV *value = *hv_fetch(env, key, (I32)klen, 1);
        // two names of one env key: which one's values Perl keeps, and how joined, depends on its cache
        if (!again && SvOK(value)) return 0;
        if (n == 1) sv_setsv(value, items[0]);
        else {
            int cookie = klen == 11 && memcmp(key, "HTTP_COOKIE", 11) == 0;
            sv_setpvn(value, SvPVX(items[0]), SvCUR(items[0]));
            for (SSize_t i = 1; i < n; i++) {
                sv_catpvn(value, cookie ? "; " : ", ", 2);
                sv_catpvn(value, SvPVX(items[i]), SvCUR(items[i]));
            }
        }
        if (single && hv_exists(single, name, nlen)) (*both)++;
    }
    return 1;
}

/// multiValueHeaders, then the names of headers it lacks (_multi_headers). Perl's _headers_bytes stores those
/// and then multiValueHeaders again: a name only in headers loses to one in multiValueHeaders of the same env key.
static int multi_headers(pTHX_ HV *env, HV *multi, HV *single) {
    char key[256];
    STRLEN klen;
    HE *he;
    I32 both = 0;
    if (!store_multi(aTHX_ env, multi, single, &both, 0)) return 0;
    if (!single || both == (I32)HvUSEDKEYS(single)) return 1;
    hv_iterinit(single);
    while ((he = hv_iternext(single))) {
        I32 nlen;
        const char *name = hv_iterkey(he, &nlen);
        if (!header_key(name, nlen, key, &klen)) return 0;
        if (hv_exists(multi, name, nlen)) continue;
        SV *v = HeVAL(he);
        if (SvGMAGICAL(v)) return 0;
        if (!SvOK(v)) continue;
        if (!plain_header_value(v)) return 0;
        (void)hv_store(env, key, (I32)klen, newSVsv(v), 0);
    }
    return store_multi(aTHX_ env, multi, NULL, &both, 1);
}

/// Appends s percent-encoding the bytes outside `set` (as _escape_* after utf8::encode: a character string's
/// UTF-8 bytes); 0 when a string flagged utf8 needs no escaping (Perl would keep its flag: left to Perl).
static int cat_escaped(pTHX_ SV *out, SV *sv, unsigned set) {
    static const char hex[] = "0123456789ABCDEF";
    STRLEN len = SvCUR(sv);
    const unsigned char *s = (const unsigned char *)SvPVX(sv);
    STRLEN i = 0;
    while (i < len && (psgi_set[s[i]] & set)) i++;
    if (i == len) {
        if (SvUTF8(sv)) return 0;
        sv_catpvn(out, (const char *)s, len);
        return 1;
    }
    STRLEN cur = SvCUR(out);
    char *d = SvGROW(out, cur + i + (len - i) * 3 + 1) + cur;
    memcpy(d, s, i);
    d += i;
    for (; i < len; i++) {
        unsigned char c = s[i];
        if (psgi_set[c] & set) *d++ = (char)c;
        else { *d++ = '%'; *d++ = hex[c >> 4]; *d++ = hex[c & 15]; }
    }
    *d = '\0';
    SvCUR_set(out, (STRLEN)(d - SvPVX(out)));
    return 1;
}

static int hexval(unsigned char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/// A new byte string: s with every %XX (hex, either case) decoded (s/%([0-9A-Fa-f]{2})/.../g).
static SV *unescaped(pTHX_ const char *s, STRLEN len) {
    SV *out = newSV(len + 1);
    SvPOK_on(out);
    char *d = SvPVX(out);
    for (STRLEN i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < len && (hi = hexval((unsigned char)s[i + 1])) >= 0
            && (lo = hexval((unsigned char)s[i + 2])) >= 0) {
            *d++ = (char)(hi << 4 | lo);
            i += 2;
        } else *d++ = s[i];
    }
    *d = '\0';
    SvCUR_set(out, (STRLEN)(d - SvPVX(out)));
    return out;
}

/// QUERY_STRING from the parameter maps (_query over multiValueQueryStringParameters with the names of
/// queryStringParameters it lacks): names sorted as `sort` does, each value escaped for REST (SET_PARAM) or
/// ALB (SET_QUERY). 0: left to Perl.
static int query_string(pTHX_ SV *out, HV *q, HV *sq, int alb) {
    unsigned set = alb ? SET_QUERY : SET_PARAM;
    AV *names = (AV *)sv_2mortal((SV *)newAV());
    HE *he;
    if (q) {
        hv_iterinit(q);
        while ((he = hv_iternext(q))) {
            SV *name = hv_iterkeysv(he);    // a mortal copy; SvREFCNT_inc_simple_NN would evaluate it twice
            av_push(names, SvREFCNT_inc_simple_NN(name));
        }
    }
    if (sq) {
        hv_iterinit(sq);
        while ((he = hv_iternext(sq))) {
            SV *name = hv_iterkeysv(he);
            if (!q || !hv_exists_ent(q, name, 0)) av_push(names, SvREFCNT_inc_simple_NN(name));
        }
    }
    SSize_t n = av_top_index(names) + 1;
    if (n > 1) sortsv(AvARRAY(names), (size_t)n, Perl_sv_cmp);
    SV *ek = sv_2mortal(newSVpvs(""));
    for (SSize_t i = 0; i < n; i++) {
        SV *name = AvARRAY(names)[i];
        HE *ve = q ? hv_fetch_ent(q, name, 0, 0) : NULL;
        if (!ve) ve = hv_fetch_ent(sq, name, 0, 0);
        if (!ve) return 0;
        SV *vs = HeVAL(ve);
        if (SvGMAGICAL(vs)) return 0;
        SV **items = &vs;
        SSize_t count = 1;
        if (SvROK(vs)) {
            AV *av = (AV *)SvRV(vs);
            if (SvTYPE(av) != SVt_PVAV || SvOBJECT(av) || SvRMAGICAL(av)) return 0;
            items = AvARRAY(av);
            count = av_top_index(av) + 1;
        }
        if (!count) continue;
        SvCUR_set(ek, 0);
        if (!cat_escaped(aTHX_ ek, name, set)) return 0;
        for (SSize_t j = 0; j < count; j++) {
            SV *v = items[j];
            if (v && SvGMAGICAL(v)) return 0;
            if (SvCUR(out)) sv_catpvn(out, "&", 1);
            sv_catpvn(out, SvPVX(ek), SvCUR(ek));
            sv_catpvn(out, "=", 1);
            if (!v || !SvOK(v)) continue;
            if (!plain_str(v) || !cat_escaped(aTHX_ out, v, set)) return 0;
        }
    }
    return 1;
}

/// An HTTP API (v2) or Function URL event's query string, path, PATH_INFO and SCRIPT_NAME (the v2 branch of
/// _format_input_pp), and its cookies into HTTP_COOKIE. 0: left to Perl.
static int v2_parts(pTHX_ HV *env, HV *e, HV *rc, HV *http, SV *query, SV **path_, SV **pinfo_, SV **script_) {
    int bad = 0;
    char key[256];
    SV *cookies = FETCH(e, "cookies");
    if (bad) return 0;
    if (cookies && SvROK(cookies)) {
        AV *av = (AV *)SvRV(cookies);
        if (SvOBJECT(av) || SvRMAGICAL(av)) return 0;
        SSize_t n = SvTYPE(av) == SVt_PVAV ? av_top_index(av) + 1 : 0;
        if (n > 0) {
            SV *c = sv_2mortal(newSVpvs(""));
            int first = 1;
            for (SSize_t i = 0; i < n; i++) {
                SV *v = AvARRAY(av)[i];
                if (v && SvGMAGICAL(v)) return 0;
                if (!v || !SvOK(v)) continue;
                if (!plain_header_value(v)) return 0;
                if (!first) sv_catpvn(c, "; ", 2);
                sv_catpvn(c, SvPVX(v), SvCUR(v));
                first = 0;
            }
            SV *old = *hv_fetch(env, "HTTP_COOKIE", 11, 1);
            if (SvOK(old)) {
                sv_catpvn(old, "; ", 2);
                sv_catpvn(old, SvPVX(c), SvCUR(c));
            } else sv_setsv(old, c);
        }
    }
    PERL_UNUSED_VAR(key);
    SV *raw = FETCH(e, "rawQueryString");
    if (bad) return 0;
    if (raw && (!plain_str(raw) || !cat_escaped(aTHX_ query, raw, SET_QUERY))) return 0;

    // rawPath comes encoded (API Gateway) or decoded (Function URLs); http.path is decoded
    SV *decoded = FETCH(http, "path");
    SV *rp = FETCH(e, "rawPath");
    if (bad) return 0;
    SV *p = rp ? rp : decoded;
    if ((p && (!plain_str(p) || SvUTF8(p))) || (decoded && (!plain_str(decoded) || SvUTF8(decoded)))) return 0;
    const char *ps = p ? SvPVX(p) : "/";
    STRLEN pl = p ? SvCUR(p) : 1;
    SV *path = newSVpvs(""), *pinfo;
    *path_ = path;
    STRLEN outside_raw = 0, outside_path = 0;
    for (STRLEN i = 0; i < pl; i++) {
        unsigned char m = psgi_set[(unsigned char)ps[i]];
        outside_raw += !(m & SET_RAW);
        outside_path += !(m & SET_PATH);
    }
    if (decoded && (SvCUR(decoded) != pl || memcmp(SvPVX(decoded), ps, pl) != 0)) {
        pinfo = newSVpvn(SvPVX(decoded), SvCUR(decoded));
        if (outside_path) { if (!cat_escaped(aTHX_ path, p, SET_PATH)) { SvREFCNT_dec(pinfo); return 0; } }
        else sv_setpvn(path, ps, pl);
    } else if (!outside_raw) {
        sv_setpvn(path, ps, pl);
        pinfo = newSVpvn(ps, pl);    // nothing encoded, nothing to encode
    } else {
        int has_escape = 0;
        for (STRLEN i = 0; i + 2 < pl && !has_escape; i++)
            has_escape = ps[i] == '%' && isXDIGIT(ps[i + 1]) && isXDIGIT(ps[i + 2]);
        if (outside_path || !has_escape) {
            // decoded (a Function URL's): encoded for REQUEST_URI
            pinfo = newSVpvn(ps, pl);
            static const char hex[] = "0123456789ABCDEF";
            for (STRLEN i = 0; i < pl; i++) {
                unsigned char c = (unsigned char)ps[i];
                if (psgi_set[c] & SET_RAW) sv_catpvn(path, (const char *)&ps[i], 1);
                else { char esc[3] = { '%', hex[c >> 4], hex[c & 15] }; sv_catpvn(path, esc, 3); }
            }
        } else {
            sv_setpvn(path, ps, pl);
            pinfo = unescaped(aTHX_ ps, pl);
        }
    }
    *pinfo_ = pinfo;
    // an API Gateway stage in front of the path
    SV *stage = FETCH(rc, "stage");
    SV *dn = FETCH(rc, "domainName");
    if (bad) return 0;
    if (stage) {
        if (!plain_str(stage) || SvUTF8(stage)) return 0;
        if (dn && (!plain_str(dn) || SvUTF8(dn))) return 0;
        STRLEN sl = SvCUR(stage);
        const char *st = SvPVX(stage);
        const char *d = dn ? SvPVX(dn) : ".execute-api.";
        STRLEN dl = dn ? SvCUR(dn) : 13;
        int api = 0;
        for (STRLEN i = 0; i + 13 <= dl && !api; i++) api = memcmp(d + i, ".execute-api.", 13) == 0;
        const char *pp = SvPVX(path);
        STRLEN ppl = SvCUR(path);
        // m{^/\Q$stage\E(?:/|$)}: '$' also before a final newline
        if (!(sl == 8 && memcmp(st, "$default", 8) == 0) && api && ppl >= sl + 1 && pp[0] == '/'
            && memcmp(pp + 1, st, sl) == 0
            && (ppl == sl + 1 || pp[sl + 1] == '/' || (ppl == sl + 2 && pp[sl + 1] == '\n'))) {
            *script_ = newSVpvn(pp, sl + 1);
            sv_chop(path, pp + sl + 1);
            const char *ip = SvPVX(pinfo);
            if (SvCUR(pinfo) >= sl + 1 && ip[0] == '/' && memcmp(ip + 1, st, sl) == 0) sv_chop(pinfo, ip + sl + 1);
        }
    }
    return 1;
}

XS(xs_psgi_env) {
    dXSARGS;
    if (items != 4) croak_xs_usage(cv, "event, psgi_version, empty_input, empty_body_ref");
    const psgi_consts *C = (const psgi_consts *)CvXSUBANY(cv).any_ptr;
    int bad = 0;
    HV *e, *rc, *h, *multi, *q, *sq, *identity;
    if (as_hash(ST(0), &e) != 1) XSRETURN_UNDEF;
    if (as_hash(FETCH(e, "requestContext"), &rc) < 0) XSRETURN_UNDEF;
    if (bad) XSRETURN_UNDEF;
    // the kind, as _format_input_pp decides it
    SV *elb = FETCH(rc, "elb");
    int alb = elb && SvTRUE_nomg(elb), v2 = 0;
    HV *http = NULL;
    if (!alb) {
        SV *hsv = FETCH(rc, "http");
        int hh = as_hash(hsv, &http);
        if (hh < 0 || (hsv && SvROK(hsv) && !hh)) XSRETURN_UNDEF;    // blessed or not a hash: left to Perl
        SV *version = FETCH(e, "version");
        if (version && !plain_str(version)) XSRETURN_UNDEF;
        v2 = hh == 1 || (version && SvCUR(version) >= 2 && memcmp(SvPVX(version), "2.", 2) == 0);
    }
    if (bad) XSRETURN_UNDEF;

    HV *env = newHV();
    hv_ksplit(env, 32);
    SV *query = NULL, *path = NULL, *pinfo = NULL, *script = NULL, *host = NULL, *server = NULL, *port = NULL, *remote = NULL;

    int mh = as_hash(FETCH(e, "multiValueHeaders"), &multi), sh = as_hash(FETCH(e, "headers"), &h);
    if (mh < 0 || sh < 0 || bad) DECLINE();
    if (v2) {
        if (h && !single_headers(aTHX_ env, h)) DECLINE();
        query = newSVpvs("");
        if (!v2_parts(aTHX_ env, e, rc, http, query, &path, &pinfo, &script)) DECLINE();
    } else {
        if (mh) {
            if (!multi_headers(aTHX_ env, multi, h)) DECLINE();
            STORE(K_MULTI, newSViv(1));
        } else if (h && !single_headers(aTHX_ env, h)) DECLINE();

        // query string
        int qm = as_hash(FETCH(e, "multiValueQueryStringParameters"), &q), qs = as_hash(FETCH(e, "queryStringParameters"), &sq);
        if (qm < 0 || qs < 0 || bad) DECLINE();
        if (q && !HvUSEDKEYS(q) && !(sq && HvUSEDKEYS(sq))) q = NULL;
        if (sq && !HvUSEDKEYS(sq)) sq = NULL;
        query = newSVpvs("");
        if ((q || sq) && !query_string(aTHX_ query, q, sq, alb)) DECLINE();

        // path, PATH_INFO
        SV *p = FETCH(e, "path");
        if (bad) DECLINE();
        path = newSVpvs("");
        if (!p) sv_setpvs(path, "/");
        else if (!plain_str(p) || !cat_escaped(aTHX_ path, p, SET_PATH)) DECLINE();
        pinfo = memchr(SvPVX(path), '%', SvCUR(path)) ? unescaped(aTHX_ SvPVX(path), SvCUR(path)) : newSVsv(path);

        // SCRIPT_NAME: requestContext.path is a REST path with the stage or base path in front
        if (!alb) {
            SV *full = FETCH(rc, "path");
            if (bad) DECLINE();
            if (full) {
                if (!plain_str(full)) DECLINE();
                STRLEN flen = SvUTF8(full) ? utf8_length((U8 *)SvPVX(full), (U8 *)SvPVX(full) + SvCUR(full)) : SvCUR(full);
                STRLEN plen = SvCUR(path);
                if (flen > plen) {
                    SV *fe = sv_2mortal(newSVpvs(""));
                    if (!cat_escaped(aTHX_ fe, full, SET_PATH)) DECLINE();
                    const char *f = SvPVX(fe);
                    STRLEN fl = SvCUR(fe);
                    if (plen && memcmp(f + fl - plen, SvPVX(path), plen) == 0) script = newSVpvn(f, fl - plen);
                    else if (plen == 1 && SvPVX(path)[0] == '/') script = newSVpvn(f, fl);
                    else {
                        SV *stage = FETCH(rc, "stage");
                        if (bad) DECLINE();
                        if (stage) {
                            if (!plain_str(stage) || SvUTF8(stage)) DECLINE();
                            STRLEN sl = SvCUR(stage);
                            if (fl >= sl + 2 && f[0] == '/' && memcmp(f + 1, SvPVX(stage), sl) == 0 && f[sl + 1] == '/')
                                script = newSVpvn(f, sl + 1);
                        }
                    }
                    if (script && SvCUR(script) && SvPVX(script)[SvCUR(script) - 1] == '/') SvCUR_set(script, SvCUR(script) - 1);
                }
            }
        }
    }
    if (!script) script = CONST(V_EMPTY);

    // the source IP: REST's identity, HTTP API's http
    SV *ip;
    if (v2) ip = FETCH(http, "sourceIp");
    else {
        int ih = as_hash(FETCH(rc, "identity"), &identity);
        if (ih < 0 || bad) DECLINE();
        ip = FETCH(identity, "sourceIp");
    }
    if (bad) DECLINE();
    if (ip) {
        if (!plain_str(ip)) DECLINE();
        remote = newSVsv(ip);    // as it is, even empty: only a missing one is looked for further
    }

    // scheme, host, port (header values in the env are ASCII byte strings here)
    HE *he_;
    SV *xf = FETCH_ENV(K_XF_PROTO);
    const char *scheme = "https";    // its fifth byte tells the two apart below
    if (xf) {
        STRLEN sl = SvCUR(xf);
        const char *s = SvPVX(xf);
        if (sl == 4 && memcmp(s, "http", 4) == 0) scheme = "http";
        else if (sl >= 4 && (s[0] | 0x20) == 'h' && (s[1] | 0x20) == 't' && (s[2] | 0x20) == 't' && (s[3] | 0x20) == 'p')
            scheme = sl >= 5 && (s[4] | 0x20) == 's' ? "https" : "http";    // lc($scheme) =~ /^(https?)/
    }
    int https = scheme[4] == 's';
    if ((host = FETCH_ENV(K_HOST))) {}
    else {
        SV *dn = FETCH(rc, "domainName");
        if (bad) DECLINE();
        if (dn && (!plain_str(dn) || SvUTF8(dn))) DECLINE();
        host = dn ? newSVsv(dn) : CONST(V_LOCALHOST);
        STORE(K_HOST, host);
    }
    if ((xf = FETCH_ENV(K_XF_PORT))) port = newSVsv(xf);
    {
        const char *s = SvPVX(host);
        STRLEN sl = SvCUR(host), colon = sl;
        while (colon > 0 && s[colon - 1] != ':') colon--;
        if (colon > 0 && colon < sl) {
            STRLEN i = colon;
            while (i < sl && s[i] >= '0' && s[i] <= '9') i++;
            if (i == sl) {
                server = newSVpvn(s, colon - 1);
                if (!port) port = newSVpvn(s + colon, sl - colon);
            }
        }
        if (!server) server = newSVsv(host);
        if (!port) port = newSViv(https ? 443 : 80);
    }

    // REMOTE_ADDR without a source IP: the last address of X-Forwarded-For
    if (!remote) {
        if ((xf = FETCH_ENV(K_XF_FOR))) {
            const char *s = SvPVX(xf);
            STRLEN sl = SvCUR(xf), from = sl;
            while (from > 0 && s[from - 1] != ',') from--;
            if (!memchr(s + from, ' ', sl - from) && !memchr(s + from, '\t', sl - from)) {
                if (sl > from) remote = newSVpvn(s + from, sl - from);
            } else {
                // /([^,\s]+)[\s,]*\z/: the last run of characters that are neither ',' nor white space
#define SEP(c) ((c) == ',' || (c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r' || (c) == '\f' || (c) == '\v')
                STRLEN end = sl;
                while (end > 0 && SEP(s[end - 1])) end--;
                STRLEN start = end;
                while (start > 0 && !SEP(s[start - 1])) start--;
#undef SEP
                if (end > start) remote = newSVpvn(s + start, end - start);
            }
        }
        if (!remote) remote = CONST(V_LOOPBACK);
    }

    // no body (nearly every GET): the shared empty psgi.input, when it is still unread and empty (what
    // _format_input_pp checks with tell and length); any other body is left to PSGI.pm (no psgi.input here)
    SV *body = FETCH(e, "body");
    int empty_body = !body || (plain_str(body) && SvCUR(body) == 0);
    SV *method = v2 ? FETCH(http, "method") : FETCH(e, "httpMethod");
    SV *proto = v2 ? FETCH(http, "protocol") : FETCH(rc, "protocol");
    if (bad) DECLINE();

    SV *uri = newSVpvn(SvPVX(script), SvCUR(script));
    sv_catpvn(uri, SvPVX(path), SvCUR(path));
    if (SvCUR(query)) {
        sv_catpvn(uri, "?", 1);
        sv_catpvn(uri, SvPVX(query), SvCUR(query));
    }
    if (memchr(SvPVX(script), '%', SvCUR(script))) {
        SV *s = unescaped(aTHX_ SvPVX(script), SvCUR(script));
        SvREFCNT_dec(script);
        script = s;
    }
    SvREFCNT_dec(path);
    STORE(K_VERSION, newSVsv(ST(1)));
    STORE(K_ERRORS, newSVsv((SV *)PL_stderrgv));
    STORE(K_RUN_ONCE, CONST(V_EMPTY));
    STORE(K_MULTITHREAD, CONST(V_EMPTY));
    STORE(K_MULTIPROCESS, CONST(V_EMPTY));
    STORE(K_STREAMING, newSViv(1));
    STORE(K_NONBLOCKING, CONST(V_EMPTY));
    STORE(K_BUFFERED, newSViv(1));
    STORE(K_EVENT, newSVsv(ST(0)));
    STORE(K_EVENT_TYPE, CONST(alb ? V_ALB : v2 ? V_V2 : V_V1));
    STORE(K_METHOD, method ? newSVsv(method) : CONST(V_GET));
    STORE(K_SCRIPT, script);
    STORE(K_PATH_INFO, pinfo);
    STORE(K_QUERY, query);
    STORE(K_URI, uri);
    STORE(K_SCHEME, CONST(https ? V_HTTPS : V_HTTP));
    STORE(K_SERVER_NAME, server);
    STORE(K_SERVER_PORT, port);
    STORE(K_PROTOCOL, proto ? newSVsv(proto) : CONST(V_HTTP11));
    STORE(K_REMOTE, remote);
    if (empty_body) {
        SV *input = ST(2), *eb = SvROK(ST(3)) ? SvRV(ST(3)) : NULL;
        IO *io = SvROK(input) && isGV_with_GP(SvRV(input)) ? GvIO((GV *)SvRV(input)) : NULL;
        if (io && IoIFP(io) && !SvRMAGICAL(io) && eb && SvPOK(eb) && !SvGMAGICAL(eb) && SvCUR(eb) == 0
            && PerlIO_tell(IoIFP(io)) == 0) {
            STORE(K_INPUT, newSVsv(input));
            STORE(K_CONTENT_LENGTH, newSViv(0));
        }
    }
    ST(0) = sv_2mortal(newRV_noinc((SV *)env));
    XSRETURN(1);

decline:
    SvREFCNT_dec(query);
    SvREFCNT_dec(path);
    SvREFCNT_dec(pinfo);
    SvREFCNT_dec(script);
    SvREFCNT_dec(server);
    SvREFCNT_dec(port);
    SvREFCNT_dec(remote);
    SvREFCNT_dec((SV *)env);
    XSRETURN_UNDEF;
}


/// PerlLambda::Host::_psgi_prelude($status, \@headers): the JSON prelude of a streamed response (the HTTP
/// integration response format, 8 NUL bytes included) as _stream_out writes it, for the usual response: an
/// integer status, names and values that are ASCII strings (or integer values) JSON does not escape, no name
/// twice but Set-Cookie. Anything else: undef, and PSGI.pm builds it (_prelude). Measured: 0.8 µs of Perl for
/// two headers, against 0.2 here. t/psgi/xs_env.t compares it with _prelude.
static int prelude_str(SV *sv, const char **s, STRLEN *len, char *ibuf, size_t isize) {
    if (!sv || SvGMAGICAL(sv) || SvROK(sv)) return 0;
    if (SvPOK(sv)) { *s = SvPVX(sv); *len = SvCUR(sv); }
    else if (SvIOK(sv) && !SvNOK(sv) && !SvIsUV(sv)) {
        *len = (STRLEN)snprintf(ibuf, isize, "%" IVdf, SvIVX(sv));
        *s = ibuf;
    } else return 0;
    for (STRLEN i = 0; i < *len; i++) {
        unsigned char c = (unsigned char)(*s)[i];
        if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') return 0;
    }
    return 1;
}

XS(xs_psgi_prelude) {
    dXSARGS;
    if (items != 2) croak_xs_usage(cv, "status, headers");
    SV *status = ST(0), *hs = ST(1);
    IV code;
    if (SvGMAGICAL(status) || SvROK(status)) XSRETURN_UNDEF;
    if (SvIOK(status) && !SvNOK(status) && !SvIsUV(status)) code = SvIVX(status);
    else if (SvPOK(status) && !SvNIOK(status) && SvCUR(status) >= 1 && SvCUR(status) <= 9) {
        // "200": what 0 + $status prints, for digits only without a leading zero
        const char *p = SvPVX(status);
        if (p[0] < '1' || p[0] > '9') XSRETURN_UNDEF;
        code = 0;
        for (STRLEN i = 0; i < SvCUR(status); i++) {
            if (p[i] < '0' || p[i] > '9') XSRETURN_UNDEF;
            code = code * 10 + (p[i] - '0');
        }
    } else XSRETURN_UNDEF;
    AV *av = NULL;
    SSize_t n = 0;
    if (SvOK(hs)) {
        if (!SvROK(hs) || SvTYPE(SvRV(hs)) != SVt_PVAV || SvRMAGICAL(SvRV(hs))) XSRETURN_UNDEF;
        av = (AV *)SvRV(hs);
        n = av_top_index(av) + 1;
        if (n & 1) XSRETURN_UNDEF;
    }
    SV *out = sv_2mortal(newSV(64 + (STRLEN)n * 24));
    SvPOK_on(out);
    SvCUR_set(out, 0);
    char ibuf[32];
    sv_catpvf(out, "{\"statusCode\":%" IVdf ",\"headers\":{", code);
    SV *cookies = sv_2mortal(newSVpvs(""));
    int first = 1;
    char lower[256];
    for (SSize_t i = 0; i < n; i += 2) {
        SV *k = AvARRAY(av)[i], *v = AvARRAY(av)[i + 1];
        const char *ks, *vs;
        STRLEN kl, vl;
        if (!k || !v || !SvPOK(k) || !prelude_str(k, &ks, &kl, ibuf, sizeof ibuf) || kl >= sizeof lower) XSRETURN_UNDEF;
        for (STRLEN j = 0; j < kl; j++) lower[j] = (char)toLOWER(ks[j]);
        char vbuf[32];
        if (!prelude_str(v, &vs, &vl, vbuf, sizeof vbuf)) XSRETURN_UNDEF;
        if (kl == 10 && memcmp(lower, "set-cookie", 10) == 0) {
            sv_catpvn(cookies, SvCUR(cookies) ? ",\"" : "\"", SvCUR(cookies) ? 2 : 1);
            sv_catpvn(cookies, vs, vl);
            sv_catpvn(cookies, "\"", 1);
            continue;
        }
        // a repeated name is joined by _prelude
        for (SSize_t j = 0; j < i; j += 2) {
            SV *o = AvARRAY(av)[j];
            if (SvCUR(o) == kl && strncasecmp(SvPVX(o), ks, kl) == 0) XSRETURN_UNDEF;
        }
        if (!first) sv_catpvn(out, ",", 1);
        first = 0;
        sv_catpvn(out, "\"", 1);
        sv_catpvn(out, lower, kl);
        sv_catpvn(out, "\":\"", 3);
        sv_catpvn(out, vs, vl);
        sv_catpvn(out, "\"", 1);
    }
    sv_catpvn(out, "},\"cookies\":[", 13);
    sv_catpvn(out, SvPVX(cookies), SvCUR(cookies));
    sv_catpvn(out, "]}\0\0\0\0\0\0\0\0", 10);
    ST(0) = out;
    XSRETURN(1);
}

void cperl_psgi_env_init(pTHX) {
    psgi_tables();
    CV *cv = newXS("PerlLambda::Host::_psgi_env", xs_psgi_env, __FILE__);
    // in the buffer of a read-only package variable: freed with the interpreter (a Newx'd struct would be
    // a leak to LeakSanitizer once perl_destruct frees the XSUB)
    SV *holder = get_sv("PerlLambda::Host::_PSGI_ENV_CONSTS", GV_ADD | GV_ADDMULTI);
    psgi_consts *c = (psgi_consts *)sv_grow(holder, sizeof(psgi_consts));
    memset(c, 0, sizeof *c);
    SvREADONLY_on(holder);
    for (int i = 0; i < K_COUNT; i++) c->key[i] = newSVpvn_share(psgi_key_names[i], (I32)strlen(psgi_key_names[i]), 0);
    // not read-only: perl does not share a read-only string's buffer (CAN_COW_MASK)
    for (int i = 0; i < V_COUNT; i++) c->value[i] = newSVpv(psgi_value_strings[i], 0);
    CvXSUBANY(cv).any_ptr = c;
    newXS("PerlLambda::Host::_psgi_prelude", xs_psgi_prelude, __FILE__);
}
