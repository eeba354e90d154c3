// libFuzzer target: the JSON codec (Sources/CPerl/json_*.c) inside an embedded interpreter, the code that builds Perl
// values from untrusted bytes. For every input:
//   1. decode it; if it is JSON, encoding the result must succeed, and decoding that must give equal data;
//   2. the input as a Perl byte string (and as a UTF-8 character string, when it is UTF-8) inside an array must
//      encode, and decode back to the same string.
// Built with -fsanitize=fuzzer,address,undefined by scripts/fuzz.sh (perl itself is not instrumented).
#include <EXTERN.h>
#include <perl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cperl.h"
#include "json_internal.h"

int cpj_encode(pTHX_ SV *sv, cperl_buf *out, cperl_buf *err);
SV *cpj_decode(pTHX_ const char *json, size_t len, cperl_buf *err);

static PerlInterpreter *fuzz_perl;
static cperl_interp *fuzz_interp; // lives for the whole run

static void die_with(const char *what, const char *detail, const uint8_t *data, size_t size) {
    fprintf(stderr, "codec fuzz: %s: %s (input of %zu bytes)\n", what, detail ? detail : "", size);
    (void)data;
    abort();
}

// Equal as decoded JSON data: same kinds, strings by characters, numbers by value, booleans by identity.
static int same(pTHX_ SV *a, SV *b, int depth) {
    if (depth > 2000) return 1;
    if (SvROK(a) != SvROK(b)) return 0;
    if (SvROK(a)) {
        SV *ra = SvRV(a), *rb = SvRV(b);
        if (SvOBJECT(ra) || SvOBJECT(rb)) return ra == rb; // the boolean singletons
        if (SvTYPE(ra) != SvTYPE(rb)) return 0;
        if (SvTYPE(ra) == SVt_PVAV) {
            AV *x = (AV *)ra, *y = (AV *)rb;
            if (av_top_index(x) != av_top_index(y)) return 0;
            for (SSize_t i = 0; i <= av_top_index(x); i++) {
                SV **p = av_fetch(x, i, 0), **q = av_fetch(y, i, 0);
                if (!same(aTHX_ p ? *p : &PL_sv_undef, q ? *q : &PL_sv_undef, depth + 1)) return 0;
            }
            return 1;
        }
        if (SvTYPE(ra) == SVt_PVHV) {
            HV *x = (HV *)ra, *y = (HV *)rb;
            if (HvUSEDKEYS(x) != HvUSEDKEYS(y)) return 0;
            hv_iterinit(x);
            HE *he;
            while ((he = hv_iternext(x))) {
                HE *other = hv_fetch_ent(y, hv_iterkeysv(he), 0, 0);
                if (!other || !same(aTHX_ HeVAL(he), HeVAL(other), depth + 1)) return 0;
            }
            return 1;
        }
        return 0;
    }
    if (!SvOK(a) || !SvOK(b)) return !SvOK(a) && !SvOK(b);
    if (SvPOK(a) || SvPOK(b)) return sv_eq(a, b);
    if (SvNOK(a) || SvNOK(b)) {
        // floating-point numbers are written with 15 significant digits, as JSON::XS writes them, and may read back
        // as integers (123.0 is written 123, -0.0 as -0): equal at that precision, or as numbers
        char x[40], y[40];
        snprintf(x, sizeof x, "%.15g", SvNV(a));
        snprintf(y, sizeof y, "%.15g", SvNV(b));
        return strcmp(x, y) == 0 || SvNV(a) == SvNV(b);
    }
    return SvIV(a) == SvIV(b) && SvIsUV(a) == SvIsUV(b);
}

// Encodes and decodes `value`; NULL only when it holds a number beyond a double's range (1e999 decodes to Inf, as
// with JSON::XS, and JSON has no way to write it back: the encoder refuses, which is the documented answer).
static SV *round_trip(pTHX_ SV *value, const char *what, const uint8_t *data, size_t size) {
    cperl_buf out = {0}, err = {0};
    if (cpj_encode(aTHX_ value, &out, &err) != 0) {
        if (err.data && strstr(err.data, "non-finite number")) {
            cperl_buf_free(&out);
            cperl_buf_free(&err);
            return NULL;
        }
        die_with(what, err.data, data, size);
    }
    cperl_buf derr = {0};
    SV *back = cpj_decode(aTHX_ out.data, out.len, &derr);
    if (!back) die_with("the encoder's output does not decode", derr.data, data, size);
    cperl_buf_free(&out);
    cperl_buf_free(&err);
    cperl_buf_free(&derr);
    return back;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc; (void)argv;
    cperl_process_init();
    cperl_buf err = {0};
    cperl_interp *ip = fuzz_interp = cperl_create(NULL, &err);
    if (!ip) { fprintf(stderr, "interpreter: %.*s\n", (int)err.len, err.data); abort(); }
    fuzz_perl = (PerlInterpreter *)PERL_GET_CONTEXT; // cperl_create left its interpreter current
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    dTHXa(fuzz_perl);
    PERL_SET_CONTEXT(fuzz_perl);
    ENTER;
    SAVETMPS;
    cperl_buf err = {0};
    SV *v = cpj_decode(aTHX_ (const char *)data, size, &err);
    if (v) {
        SV *back = round_trip(aTHX_ v, "a decoded value does not encode", data, size);
        if (back && !same(aTHX_ v, back, 0)) die_with("decode(encode(decode(x))) differs from decode(x)", NULL, data, size);
        if (back) SvREFCNT_dec(back);
        SvREFCNT_dec(v);
    }
    cperl_buf_free(&err);

    // the bytes as a string value, in both representations Perl has for strings
    for (int utf8 = 0; utf8 < 2; utf8++) {
        SV *s = newSVpvn((const char *)data, size);
        // as characters only when the bytes are strict UTF-8: the encoder refuses code points beyond Unicode and
        // surrogates, which Perl's own UTF-8 can hold (a documented error, not a finding)
        if (utf8 && (!size || !is_strict_utf8_string(data, size) || !sv_utf8_decode(s))) { SvREFCNT_dec(s); break; }  // (a length of 0 means strlen to perl)
        AV *av = newAV();
        av_push(av, s);
        SV *ref = newRV_noinc((SV *)av);
        SV *back = round_trip(aTHX_ ref, "a string does not encode", data, size);
        SV **first = SvROK(back) && SvTYPE(SvRV(back)) == SVt_PVAV ? av_fetch((AV *)SvRV(back), 0, 0) : NULL;
        if (!first || !sv_eq(*first, s)) die_with("a string does not survive encode and decode", NULL, data, size);
        SvREFCNT_dec(back);
        SvREFCNT_dec(ref);
    }
    FREETMPS;
    LEAVE;
    return 0;
}
