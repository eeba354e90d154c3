// PerlLambda::JSON: the XS subs encode_json / decode_json, the boolean singletons and the guard
// CV used by cpj_encode. Everything per-interpreter lives in PL_modglobal.
#include "json_internal.h"
#include <string.h>


#define KEY_TRUE "PerlLambda::JSON::(true)"
#define KEY_FALSE "PerlLambda::JSON::(false)"
#define KEY_GUARD "PerlLambda::JSON::(encode_guard)"

// Returns (creating on first use) the referents of the true/false singletons: read-only scalars
// 1 and 0 blessed into JSON::PP::Boolean, also published as $PerlLambda::JSON::true / false.
void cpj__bools(pTHX_ SV **true_sv, SV **false_sv) {
    SV **t = hv_fetchs(PL_modglobal, KEY_TRUE, 0);
    SV **f = hv_fetchs(PL_modglobal, KEY_FALSE, 0);
    if (!t || !f || !SvROK(*t) || !SvROK(*f)) {
        HV *stash = gv_stashpvs("JSON::PP::Boolean", GV_ADD);
        SV *rt = sv_bless(newRV_noinc(newSViv(1)), stash);
        SV *rf = sv_bless(newRV_noinc(newSViv(0)), stash);
        SvREADONLY_on(SvRV(rt));
        SvREADONLY_on(SvRV(rf));
        t = hv_stores(PL_modglobal, KEY_TRUE, rt);
        f = hv_stores(PL_modglobal, KEY_FALSE, rf);
        sv_setsv(get_sv("PerlLambda::JSON::true", GV_ADDMULTI), rt);
        sv_setsv(get_sv("PerlLambda::JSON::false", GV_ADDMULTI), rf);
    }
    *true_sv = SvRV(*t);
    *false_sv = SvRV(*f);
}

CV *cpj__guard_cv(pTHX) {
    SV **g = hv_fetchs(PL_modglobal, KEY_GUARD, 0);
    if (g && SvROK(*g)) return (CV *)SvRV(*g);
    CV *cv = newXS(NULL, cpj__xs_encode_guarded, __FILE__); // anonymous
    hv_stores(PL_modglobal, KEY_GUARD, newRV_noinc((SV *)cv));
    return cv;
}

XS(cpj_xs_encode_json);
XS(cpj_xs_encode_json) {
    dXSARGS;
    if (items != 1) croak_xs_usage(cv, "data");
    SV *out = sv_2mortal(newSV(1024));
    SvPOK_only(out);
    cpj_enc e;
    cpj__enc_init_sv(aTHX_ &e, out);
    if (cpj__enc_sv(aTHX_ &e, ST(0)) < 0) croak("%s", e.err);
    cpj__enc_finish_sv(aTHX_ &e);
    if (SvLEN(out) > 65536 && SvLEN(out) - SvCUR(out) > SvCUR(out) / 4) SvPV_shrink_to_cur(out);
    ST(0) = out;
    XSRETURN(1);
}

XS(cpj_xs_decode_json);
XS(cpj_xs_decode_json) {
    dXSARGS;
    if (items != 1) croak_xs_usage(cv, "json_bytes");
    SV *in = ST(0);
    SvGETMAGIC(in);
    STRLEN len = 0;
    const char *s = "";
    if (SvOK(in)) {
        if (SvUTF8(in)) { // a character string: must downgrade to the UTF-8 bytes it stands for
            in = sv_2mortal(newSVsv_nomg(in));
            if (!sv_utf8_downgrade(in, 1))
                croak("decode_json: input contains wide characters (expected a UTF-8 encoded byte string; use utf8::encode first)");
        }
        s = SvPV_nomg_const(in, len);
    }
    char err[512];
    SV *res = cpj__decode(aTHX_ s, len, err, sizeof err);
    if (!res) croak("%s", err);
    ST(0) = sv_2mortal(res);
    XSRETURN(1);
}

void cpj_boot(pTHX) {
    newXS_flags("PerlLambda::JSON::encode_json", cpj_xs_encode_json, __FILE__, "$", 0);
    newXS_flags("PerlLambda::JSON::decode_json", cpj_xs_decode_json, __FILE__, "$", 0);
    // The overloading of JSON::PP::Boolean (0+, ++, --, fallback) is installed by PerlLambda::Host
    // without loading overload.pm, which would cost a millisecond of cold start.
    SV *t, *f;
    cpj__bools(aTHX_ &t, &f);
    (void)cpj__guard_cv(aTHX);
}
