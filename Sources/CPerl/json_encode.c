// JSON encoder: Perl data -> UTF-8 JSON text, following JSON::XS encode_json's type rules
// (plus TO_JSON; JSON booleans from JSON::PP::Boolean objects and \1/\0). Output goes straight into an SV's buffer (XS path) or a cperl_buf.
#include "json_internal.h"
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>



static int enc_error(cpj_enc *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int enc_error(cpj_enc *e, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->err, sizeof e->err, fmt, ap);
    va_end(ap);
    return -1;
}

void cpj__enc_grow(pTHX_ cpj_enc *e, size_t need) {
    size_t len = (size_t)(e->cur - e->base), cap = (size_t)(e->end - e->base) + 1;
    size_t want = len + need + 1, ncap = cap < 256 ? 256 : cap;
    while (ncap < want) ncap *= 2;
    if (e->sv) {
        SvCUR_set(e->sv, len);
        e->base = SvGROW(e->sv, ncap);
        ncap = SvLEN(e->sv);
    } else {
        char *n = realloc(e->buf->data, ncap);
        if (!n) abort();
        e->buf->data = e->base = n;
        e->buf->cap = ncap;
    }
    e->cur = e->base + len;
    e->end = e->base + ncap - 1;
}

void cpj__enc_init_sv(pTHX_ cpj_enc *e, SV *out) {
    e->sv = out;
    e->buf = NULL;
    e->depth = 0;
    e->err[0] = '\0';
    e->base = SvPVX(out);
    e->cur = e->base + SvCUR(out);
    e->end = e->base + SvLEN(out) - 1;
}

void cpj__enc_finish_sv(pTHX_ cpj_enc *e) {
    SvCUR_set(e->sv, (STRLEN)(e->cur - e->base));
    *e->cur = '\0';
}

// ---------------------------------------------------------------- numbers
static char *put_uv(char *o, UV v) {
    char tmp[24], *t = tmp + sizeof tmp;
    do { *--t = (char)('0' + v % 10); v /= 10; } while (v);
    size_t n = (size_t)(tmp + sizeof tmp - t);
    memcpy(o, t, n);
    return o + n;
}

static char *put_iv(char *o, IV v) {
    if (v < 0) { *o++ = '-'; return put_uv(o, (UV)0 - (UV)v); }
    return put_uv(o, (UV)v);
}

static const double p10[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// Writes nv exactly as sprintf("%.15g") would (Perl's and JSON::XS's number formatting).
static int enc_nv(pTHX_ cpj_enc *e, NV nv) {
    if (UNLIKELY(!isfinite(nv))) return enc_error(e, "cannot encode non-finite number (%s) as JSON", isnan(nv) ? "NaN" : nv > 0 ? "Inf" : "-Inf");
    NEED(e, 40);
    double a = fabs(nv);
    if (a < 1e15 && a == (double)(int64_t)a) { // integral: %.15g prints every digit
        if (a == 0) {
            if (signbit(nv)) *e->cur++ = '-';
            *e->cur++ = '0';
            return 0;
        }
        e->cur = put_iv(e->cur, (IV)nv);
        return 0;
    }
    if (a >= 1e-4 && a < 1e15) {
        // Round a to 15 significant digits: sc = a * 10^k lies in [1e14, 1e15); 10^k is exact, so
        // sc carries one rounding error below half an ulp, which can only matter when sc's fraction
        // is exactly .5 (then fma recovers the exact residual). Ties round half-even, as printf does.
        int k, X = 0;
        if (a >= 1) { while (X < 14 && a >= p10[X + 1]) X++; k = 14 - X; }
        else { k = 15; while (k < 18 && a * p10[k] < 1e14) k++; }
        double sc = a * p10[k], fl = floor(sc), fr = sc - fl;
        uint64_t r = (uint64_t)fl;
        if (fr > 0.5) r++;
        else if (fr == 0.5) {
            double res = fma(a, p10[k], -sc);
            if (res > 0 || (res == 0 && (r & 1))) r++;
        }
        X = 14 - k;
        if (r >= 1000000000000000ULL) { r /= 10; X++; }
        if (X < 15) {
            char dig[24], *o = e->cur;
            int nd = (int)(put_uv(dig, r) - dig); // 15 digits
            while (nd > 1 && dig[nd - 1] == '0') nd--;
            if (nv < 0) *o++ = '-';
            if (X >= 0) {
                int ip = X + 1; // integer digits
                if (nd <= ip) { memcpy(o, dig, (size_t)nd); o += nd; for (int z = ip - nd; z > 0; z--) *o++ = '0'; }
                else { memcpy(o, dig, (size_t)ip); o += ip; *o++ = '.'; memcpy(o, dig + ip, (size_t)(nd - ip)); o += nd - ip; }
            } else {
                *o++ = '0'; *o++ = '.';
                for (int z = -X - 1; z > 0; z--) *o++ = '0';
                memcpy(o, dig, (size_t)nd); o += nd;
            }
            e->cur = o;
            return 0;
        }
    }
    int n = snprintf(e->cur, 40, "%.15g", nv);
    e->cur += n;
    return 0;
}

// ---------------------------------------------------------------- containers
static int enc_av(pTHX_ cpj_enc *e, AV *av) {
    NEED(e, 2);
    *e->cur++ = '[';
    if (UNLIKELY(SvRMAGICAL((SV *)av))) { // tied or otherwise magical: go through the API
        SSize_t n = av_top_index(av) + 1;
        for (SSize_t i = 0; i < n; i++) {
            if (i) { NEED(e, 1); *e->cur++ = ','; }
            SV **svp = av_fetch(av, i, 0);
            if (cpj__enc_sv(aTHX_ e, svp ? *svp : &PL_sv_undef) < 0) return -1;
        }
    } else {
        for (SSize_t i = 0; i <= AvFILLp(av); i++) { // re-read: TO_JSON may modify the array
            if (i) { NEED(e, 1); *e->cur++ = ','; }
            SV *el = AvARRAY(av)[i];
            if (!el) { NEED(e, 4); memcpy(e->cur, "null", 4); e->cur += 4; continue; }
            if (cpj__enc_sv(aTHX_ e, el) < 0) return -1;
        }
    }
    NEED(e, 1);
    *e->cur++ = ']';
    return 0;
}

static int enc_hv(pTHX_ cpj_enc *e, HV *hv) {
    NEED(e, 2);
    *e->cur++ = '{';
    int first = 1;
    if (UNLIKELY(SvRMAGICAL((SV *)hv))) { // tied (or other magic): the iterator API runs it
        HE *he;
        hv_iterinit(hv);
        while ((he = hv_iternext(hv))) {
            if (!first) { NEED(e, 1); *e->cur++ = ','; }
            first = 0;
            if (HeKLEN(he) == HEf_SVKEY) {
                SV *k = HeSVKEY(he);
                STRLEN kl;
                const char *kp = SvPV(k, kl);
                if (cpj__enc_str(aTHX_ e, kp, kl, SvUTF8(k)) < 0) return -1;
            } else if (cpj__enc_str(aTHX_ e, HeKEY(he), (STRLEN)HeKLEN(he), HeKUTF8(he)) < 0) return -1;
            NEED(e, 1);
            *e->cur++ = ':';
            if (cpj__enc_sv(aTHX_ e, hv_iterval(hv, he)) < 0) return -1;
        }
    } else if (HvARRAY(hv)) {
        // Walk the buckets directly: no iterator state touched, no per-entry calls.
        HE **arr = HvARRAY(hv);
        STRLEN max = HvMAX(hv);
        for (STRLEN i = 0; i <= max; i++) {
            for (HE *he = arr[i]; he; he = HeNEXT(he)) {
                SV *val = HeVAL(he);
                if (UNLIKELY(val == &PL_sv_placeholder)) continue; // restricted-hash placeholder
                if (!first) { NEED(e, 1); *e->cur++ = ','; }
                first = 0;
                HEK *hek = HeKEY_hek(he);
                if (cpj__enc_str(aTHX_ e, HEK_KEY(hek), (STRLEN)HEK_LEN(hek), HEK_UTF8(hek)) < 0) return -1;
                NEED(e, 1);
                *e->cur++ = ':';
                if (cpj__enc_sv(aTHX_ e, val) < 0) return -1;
                if (UNLIKELY(HvARRAY(hv) != arr || HvMAX(hv) != max))
                    return enc_error(e, "hash modified while being encoded as JSON (by a TO_JSON method?)");
            }
        }
    }
    NEED(e, 1);
    *e->cur++ = '}';
    return 0;
}

// ---------------------------------------------------------------- references
static int enc_bool(pTHX_ cpj_enc *e, int yes) {
    NEED(e, 5);
    if (yes) { memcpy(e->cur, "true", 4); e->cur += 4; }
    else { memcpy(e->cur, "false", 5); e->cur += 5; }
    return 0;
}

static int is_bool_class(HV *stash) {
    if (!HvNAME_HEK(stash)) return 0;
    const char *name = HvNAME_get(stash);
    I32 len = HvNAMELEN_get(stash);
    return (len == 17 && memcmp(name, "JSON::PP::Boolean", 17) == 0) ||
           (len == 26 && memcmp(name, "Types::Serialiser::Boolean", 26) == 0);
}

static int enc_to_json(pTHX_ cpj_enc *e, SV *ref, GV *meth) {
    dSP;
    ENTER;
    SAVETMPS;
    PUSHMARK(SP);
    XPUSHs(ref);
    PUTBACK;
    int n = call_sv((SV *)GvCV(meth), G_SCALAR);
    SPAGAIN;
    SV *res = n ? POPs : &PL_sv_undef;
    PUTBACK;
    int rc = cpj__enc_sv(aTHX_ e, res); // res stays alive until FREETMPS
    FREETMPS;
    LEAVE;
    return rc;
}

static const char *type_name(SV *t) {
    switch (SvTYPE(t)) {
    case SVt_PVCV: return "a CODE reference";
    case SVt_PVGV: return "a GLOB reference";
    case SVt_PVIO: return "an IO reference";
    case SVt_PVFM: return "a FORMAT reference";
    case SVt_REGEXP: return "a Regexp";
    case SVt_PVLV: return "an LVALUE reference";
    default: return "this kind of reference";
    }
}

static int enc_ref(pTHX_ cpj_enc *e, SV *ref) {
    SV *t = SvRV(ref);
    if (UNLIKELY(SvOBJECT(t))) {
        HV *stash = SvSTASH(t);
        if (is_bool_class(stash)) return enc_bool(aTHX_ e, SvTRUE(t));
        GV *meth = gv_fetchmethod_autoload(stash, "TO_JSON", 0);
        const char *cls = HvNAME_HEK(stash) ? HvNAME_get(stash) : "__ANON__";
        if (!meth || !GvCV(meth))
            return enc_error(e, "cannot encode object of class %.300s (no TO_JSON method) as JSON", cls);
        if (UNLIKELY(++e->depth > CPJ_MAX_DEPTH))
            return enc_error(e, "JSON nesting exceeds %d levels while encoding (TO_JSON of class %.300s returning itself, or a cycle?)", CPJ_MAX_DEPTH, cls);
        int rc = enc_to_json(aTHX_ e, ref, meth);
        e->depth--;
        return rc;
    }
    svtype ty = SvTYPE(t);
    if (LIKELY(ty == SVt_PVHV || ty == SVt_PVAV)) {
        if (UNLIKELY(++e->depth > CPJ_MAX_DEPTH))
            return enc_error(e, "JSON nesting exceeds %d levels while encoding (cyclic data structure?)", CPJ_MAX_DEPTH);
        int rc = ty == SVt_PVHV ? enc_hv(aTHX_ e, (HV *)t) : enc_av(aTHX_ e, (AV *)t);
        e->depth--;
        return rc;
    }
    if (ty < SVt_PVAV && ty != SVt_PVLV && ty != SVt_PVGV && ty != SVt_REGEXP) { // \1, \0, \!!1 ...
        SvGETMAGIC(t);
        if (SvROK(t)) return enc_error(e, "cannot encode a reference to a reference as JSON");
        if (SvIsBOOL(t)) return enc_bool(aTHX_ e, SvTRUE_nomg(t));
        if (SvIOKp(t) && !SvPOKp(t) && !SvNOKp(t)) {
            IV v = SvIVX(t);
            if (v == 0 || v == 1) return enc_bool(aTHX_ e, (int)v);
        } else if (SvPOKp(t)) {
            if (SvCUR(t) == 1 && (SvPVX(t)[0] == '0' || SvPVX(t)[0] == '1')) return enc_bool(aTHX_ e, SvPVX(t)[0] == '1');
        } else if (SvNOKp(t)) {
            if (SvNVX(t) == 0.0 || SvNVX(t) == 1.0) return enc_bool(aTHX_ e, SvNVX(t) == 1.0);
        }
        return enc_error(e, "cannot encode a reference to a scalar as JSON (only \\1 and \\0 mean true and false)");
    }
    return enc_error(e, "cannot encode %s as JSON", type_name(t));
}

// ---------------------------------------------------------------- values
int cpj__enc_sv(pTHX_ cpj_enc *e, SV *sv) {
    SvGETMAGIC(sv);
    U32 f = SvFLAGS(sv);
    if (f & SVf_ROK) return enc_ref(aTHX_ e, sv);
    // Perl's own booleans (PL_sv_yes/PL_sv_no: what !, ==, defined, exists, print and ref of a non-reference
    // return, builtin::true/false) carry a string value, so they encode as "1" and "" — exactly what JSON::XS,
    // and so AWS::Lambda, sends for them. JSON true/false come from JSON::PP::Boolean objects and \1/\0.
    if (f & SVp_POK) return cpj__enc_str(aTHX_ e, SvPVX_const(sv), SvCUR(sv), SvUTF8(sv));
    if (f & SVp_NOK) return enc_nv(aTHX_ e, SvNVX(sv));
    if (f & SVp_IOK) {
        NEED(e, 24);
        e->cur = SvIsUV(sv) ? put_uv(e->cur, SvUVX(sv)) : put_iv(e->cur, SvIVX(sv));
        return 0;
    }
    if (isGV_with_GP(sv)) return enc_error(e, "cannot encode a glob as JSON");
    if (SvTYPE(sv) == SVt_PVAV || SvTYPE(sv) == SVt_PVHV || SvTYPE(sv) == SVt_PVCV)
        return enc_error(e, "cannot encode a bare %s as JSON (pass a reference)", SvTYPE(sv) == SVt_PVCV ? "CODE" : SvTYPE(sv) == SVt_PVAV ? "array" : "hash");
    NEED(e, 4);
    memcpy(e->cur, "null", 4);
    e->cur += 4;
    return 0;
}

// ---------------------------------------------------------------- C entry point
// The guarded run: an XS body invoked via call_sv(G_EVAL) so that a die inside TO_JSON or tie
// magic is caught instead of unwinding through the caller (which may have no eval frame at all).
XS(cpj__xs_encode_guarded);
XS(cpj__xs_encode_guarded) {
    dXSARGS;
    if (items != 2) croak_xs_usage(cv, "state, data");
    cpj_enc *e = INT2PTR(cpj_enc *, SvIV(ST(0)));
    e->rc = cpj__enc_sv(aTHX_ e, ST(1));
    XSRETURN_EMPTY;
}

int cpj_encode(pTHX_ SV *sv, cperl_buf *out, cperl_buf *err) {
    cpj_enc e;
    size_t start = out->len;
    e.sv = NULL;
    e.buf = out;
    e.depth = 0;
    e.rc = -1;
    e.err[0] = '\0';
    if (!out->data) cperl_buf_append(out, "", 0);
    e.base = out->data;
    e.cur = out->data + out->len;
    e.end = out->data + out->cap - 1;

    dSP;
    ENTER;
    SAVETMPS;
    save_scalar(PL_errgv); // local $@
    PUSHMARK(SP);
    mXPUSHi(PTR2IV(&e));
    XPUSHs(sv);
    PUTBACK;
    call_sv((SV *)cpj__guard_cv(aTHX), G_EVAL | G_DISCARD);
    SPAGAIN;
    int died = SvTRUE(ERRSV);
    if (died) {
        STRLEN l;
        const char *m = SvPV(ERRSV, l);
        while (l && (m[l - 1] == '\n')) l--;
        e.rc = -1;
        snprintf(e.err, sizeof e.err, "%.*s", (int)(l > 500 ? 500 : l), m);
    }
    PUTBACK;
    FREETMPS;
    LEAVE;
    if (e.rc < 0) {
        out->len = start;
        out->data[start] = '\0';
        if (err) cperl_buf_append(err, e.err, strlen(e.err));
        return -1;
    }
    out->len = (size_t)(e.cur - out->data);
    out->data[out->len] = '\0';
    return 0;
}
