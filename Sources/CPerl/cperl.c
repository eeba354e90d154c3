// Interpreter lifecycle and the calls the runtime makes into Perl.
// Everything Perl-specific stays here; Swift sees only include/cperl.h.
#include "cperl_internal.h"
#include "cperl_modules.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cperl_interp {
    PerlInterpreter *perl;
    HV *context_stash; ///< AWS::Lambda::Context
    CV *invoke_cv;     ///< PerlLambda::Host::invoke
    SV *die_hook;      ///< \&PerlLambda::Host::_on_die, the die hook while a handler runs
};

// Installed before any user code: serves the embedded modules from an @INC hook placed first,
// so the runtime's own AWS::Lambda packages win, then loads the Perl half of the runtime.
static const char boot_code[] =
    "PerlLambda::Host::_boot();"
    "unshift @INC, sub {"
    "  my $src = PerlLambda::Host::_embedded($_[1]); return unless defined $src;"
    "  $src = qq{#line 1 \"/perl-lambda/lib/$_[1]\"\\n} . $src; return \\$src;"
    "};"
    "require PerlLambda::Host; require AWS::Lambda; require AWS::Lambda::Context;"
    "$| = 1; select((select(STDERR), $| = 1)[0]);";

// ---- outcomes ----

void cperl_outcome_free(cperl_outcome *out) { cperl_buf_free(&out->body); }

static void set_type(cperl_outcome *out, const char *type) {
    snprintf(out->error_type, sizeof out->error_type, "%s", type);
}

static cperl_document_fn document_writer;

void cperl_set_document_writer(cperl_document_fn fn) { document_writer = fn; }

void cperl_write_document(pTHX_ cperl_buf *out, SV *type, SV *message, AV *frames) {
    STRLEN tl, ml;
    const char *t = SvPVutf8(type, tl), *m = SvPVutf8(message, ml);
    SSize_t n = frames ? av_top_index(frames) + 1 : 0;
    const char *fs[64];
    size_t fl[64];
    if (n > 64) n = 64; // Host.pm caps traces at 50 frames
    for (SSize_t i = 0; i < n; i++) {
        SV **f = av_fetch(frames, i, 0);
        STRLEN l = 0;
        fs[i] = f ? SvPVutf8(*f, l) : "";
        fl[i] = l;
    }
    if (!document_writer) croak("perl-lambda: no error document writer installed");
    document_writer(t, tl, m, ml, fs, fl, (size_t)n, out);
}

/// The outcome's body becomes the error document for C strings (`message` UTF-8 when valid, else bytes).
static void error_outcome(pTHX_ cperl_outcome *out, const char *type, const char *message) {
    SV *msg = sv_2mortal(newSVpv(message, 0));
    if (!is_utf8_invariant_string((const U8 *)message, strlen(message)) &&
        is_utf8_string((const U8 *)message, strlen(message))) SvUTF8_on(msg);
    out->body.len = 0;
    cperl_write_document(aTHX_ &out->body, sv_2mortal(newSVpv(type, 0)), msg, NULL);
    set_type(out, type);
}

// ---- calling Perl with die and exit trapped ----

typedef enum { CALL_RETURNED, CALL_EXITED } call_end;

/// call_sv(G_EVAL) with `exit` trapped too: perl's my_exit longjmps (JMPENV level 2) past G_EVAL;
/// catching it here leaves the interpreter usable for the next call.
static call_end call_trapped(pTHX_ SV *sv, I32 flags, I32 *count, int *exit_code) {
    dJMPENV;
    int ret;
    // The caller has done PUSHMARK and pushed the arguments; remember where that mark points.
    I32 scope_ix = PL_scopestack_ix;
    SSize_t mark_ix = PL_markstack_ptr - PL_markstack - 1;
    I32 stack_at_mark = *PL_markstack_ptr;
    JMPENV_PUSH(ret);
    if (ret == 0) {
        *count = call_sv(sv, flags | G_EVAL);
        JMPENV_POP;
        return CALL_RETURNED;
    }
    JMPENV_POP;
    // exit() was called (ret 2): my_exit_jump unwound the context and save stacks; put the rest back.
    *exit_code = ret == 2 ? STATUS_EXIT : 255;
    STATUS_ALL_SUCCESS;
    PL_scopestack_ix = scope_ix;
    PL_markstack_ptr = PL_markstack + (mark_ix > 0 ? mark_ix : 0);
    PL_stack_sp = PL_stack_base + stack_at_mark;
    if (PL_tmps_ix > PL_tmps_floor) FREETMPS;
    PL_curstash = PL_defstash;
    sv_setpvs(ERRSV, "");
    *count = 0;
    return CALL_EXITED;
}

static void exit_outcome(pTHX_ cperl_outcome *out, int code, const char *what) {
    char msg[256];
    snprintf(msg, sizeof msg, "%s called exit(%d); the runtime kept the execution environment alive", what, code);
    PerlIO_printf(PerlIO_stderr(), "%s\n", msg);
    error_outcome(aTHX_ out, "Runtime.ExitError", msg);
    out->exit_code = code;
}

/// Sends an error document Host.pm made (its JSON text, from PerlLambda::Host::_document) + type to the outcome.
static void document_outcome(pTHX_ cperl_outcome *out, SV *type, SV *json) {
    STRLEN len;
    const char *bytes = SvPV(json, len);
    out->body.len = 0;
    cperl_buf_append(&out->body, bytes, len);
    set_type(out, SvPV_nolen(type));
}

// ---- lifecycle ----

void cperl_process_init(void) {
    static int done;
    if (done) return;
    done = 1;
    int argc = 1;
    static char arg0[] = "bootstrap";
    static char *argv_store[] = {arg0, NULL};
    char **argv = argv_store;
    char **env = NULL;
    PERL_SYS_INIT3(&argc, &argv, &env);
#ifndef PERL_USE_SAFE_PUTENV
    // Let perl own environ, as the perl executable does (its main() clears this flag too). Embedders get
    // setenv() by default, and glibc's setenv keeps every distinct "NAME=value" it was ever given: with a fresh
    // _X_AMZN_TRACE_ID per invocation that leaked ~130 bytes each (6 MB over 50,000 invocations, t/integration/
    // soak.t). Perl's own environ management frees the entry it replaces; child processes still inherit environ.
    PL_use_safe_putenv = FALSE;
#endif
}

static cperl_interp *construct(int argc, char **argv, cperl_buf *err) {
    PerlInterpreter *my_perl = perl_alloc();
    if (!my_perl) { cperl_buf_append(err, "perl_alloc failed", 17); return NULL; }
    PERL_SET_CONTEXT(my_perl);
    perl_construct(my_perl);
    PL_exit_flags |= PERL_EXIT_DESTRUCT_END;
    PL_origalen = 1; // never overwrite argv[0] via $0
    if (perl_parse(my_perl, cperl_xs_init, argc, argv, NULL) != 0) {
        cperl_buf_append(err, "perl_parse failed", 17);
        perl_destruct(my_perl);
        perl_free(my_perl);
        return NULL;
    }
    cperl_interp *ip = calloc(1, sizeof *ip);
    ip->perl = my_perl;
    return ip;
}

cperl_interp *cperl_create(const char *lib_dirs, cperl_buf *err) {
    static char a0[] = "bootstrap", a1[] = "-e", a2[] = "0";
    char *args[] = {a0, a1, a2, NULL};
    cperl_interp *ip = construct(3, args, err);
    if (!ip) return NULL;
    dTHXa(ip->perl);
    perl_run(ip->perl);
    eval_pv(boot_code, FALSE);
    if (SvTRUE(ERRSV)) {
        STRLEN len;
        const char *msg = SvPV(ERRSV, len);
        cperl_buf_append(err, "runtime modules failed to load: ", 32);
        cperl_buf_append(err, msg, len);
        cperl_destroy(ip);
        return NULL;
    }
    if (lib_dirs && *lib_dirs) {
        // After the embedded-module hook (which stays first), before perl's own directories.
        sv_setpv(get_sv("PerlLambda::Host::LIB", GV_ADD), lib_dirs);
        eval_pv("splice @INC, 1, 0, grep { length } split /:/, $PerlLambda::Host::LIB;", FALSE);
    }
    ip->context_stash = gv_stashpvs("AWS::Lambda::Context", GV_ADD);
    ip->invoke_cv = get_cv("PerlLambda::Host::invoke", 0);
    ip->die_hook = newRV_inc((SV *)get_cv("PerlLambda::Host::_on_die", 0));
    return ip;
}

void cperl_destroy(cperl_interp *ip) {
    if (!ip) return;
    PERL_SET_CONTEXT(ip->perl);
    perl_destruct(ip->perl);
    perl_free(ip->perl);
    free(ip);
}

int cperl_capture_output(cperl_interp *ip, cperl_output_fn fn, void *context) {
    dTHXa(ip->perl);
    PERL_SET_CONTEXT(ip->perl);
    cperl_output_fn_ = fn;
    cperl_output_context = context;
    eval_pv("PerlLambda::Host::capture_output(); 1", FALSE);
    return SvTRUE(ERRSV) ? -1 : 0;
}

int cperl_dispatch_signals(cperl_interp *ip) {
    dTHXa(ip->perl);
    PERL_SET_CONTEXT(ip->perl);
    if (!PL_sig_pending) return -1;
    dJMPENV;
    int ret;
    JMPENV_PUSH(ret);
    if (ret == 0) {
        PERL_ASYNC_CHECK(); // runs the %SIG handlers perl deferred when the signal arrived
        JMPENV_POP;
        return -1;
    }
    JMPENV_POP;
    // exit (or a die outside any eval) in a handler: end as perl would, END blocks and destruction included
    int status = ret == 2 ? STATUS_EXIT : 255;
    PerlIO_flush(NULL);
    perl_destruct(ip->perl);
    return status;
}

void cperl_flush(cperl_interp *ip) {
    dTHXa(ip->perl);
    PERL_SET_CONTEXT(ip->perl);
    PerlIO_flush(NULL);
}

int cperl_run_main(int argc, char **argv) {
    // argv: bootstrap --script FILE ARGS... → perl -e '<boot>; do FILE' -- FILE ARGS...
    static char a0[] = "bootstrap", a1[] = "-e";
    static char runner[sizeof boot_code + 256];
    snprintf(runner, sizeof runner,
             "BEGIN { %s } $0 = shift @ARGV; my $f = $0 =~ m{^/} ? $0 : \"./$0\";"
             "my $r = do $f; die $@ if $@; die \"$0: $!\\n\" if !defined $r && $!;",
             boot_code);
    char **args = calloc((size_t)argc + 4, sizeof *args);
    int n = 0;
    args[n++] = a0;
    args[n++] = a1;
    args[n++] = runner;
    args[n++] = (char *)"--";
    for (int i = 0; i < argc; i++) args[n++] = argv[i];
    cperl_buf err = {0};
    cperl_interp *ip = construct(n, args, &err);
    if (!ip) { fprintf(stderr, "%s\n", err.data); cperl_buf_free(&err); return 255; }
    int status = perl_run(ip->perl);
    PERL_SET_CONTEXT(ip->perl);
    int destructed = perl_destruct(ip->perl);
    perl_free(ip->perl);
    free(ip);
    free(args);
    return status ? status : destructed;
}

// ---- handler loading, invocation, eval ----

cperl_status cperl_load_handler(cperl_interp *ip, const char *task_root, const char *file, const char *function,
                                cperl_outcome *out) {
    dTHXa(ip->perl);
    PERL_SET_CONTEXT(ip->perl);
    cperl_status status = CPERL_OK;
    dSP;
    ENTER;
    SAVETMPS;
    PUSHMARK(SP);
    XPUSHs(sv_2mortal(newSVpv(task_root, 0)));
    XPUSHs(file ? sv_2mortal(newSVpv(file, 0)) : &PL_sv_undef);
    XPUSHs(function ? sv_2mortal(newSVpv(function, 0)) : &PL_sv_undef);
    PUTBACK;
    I32 count = 0;
    int code = 0;
    if (call_trapped(aTHX_ (SV *)get_cv("PerlLambda::Host::load", 0), G_SCALAR, &count, &code) == CALL_EXITED) {
        exit_outcome(aTHX_ out, code, "the handler file");
        status = CPERL_EXITED;
    } else {
        SPAGAIN;
        SP -= count;
        PUTBACK;
        if (SvTRUE(ERRSV)) {
            SV *e = sv_mortalcopy(ERRSV);
            PUSHMARK(SP);
            XPUSHs(e);
            PUTBACK;
            count = call_pv("PerlLambda::Host::init_error_document", G_LIST | G_EVAL);
            SPAGAIN;
            if (count == 2) {
                SV *doc = POPs, *type = POPs;
                document_outcome(aTHX_ out, type, doc);
            } else {
                error_outcome(aTHX_ out, "Error", SvPV_nolen(e));
            }
            PUTBACK;
            status = CPERL_FAILED;
        }
    }
    FREETMPS;
    LEAVE;
    PerlIO_flush(NULL);
    return status;
}

static SV *optional_pv(pTHX_ const char *s) { return s ? newSVpv(s, 0) : newSV(0); }

static SV *optional_json(pTHX_ const char *s) {
    if (!s || !*s) return newSV(0);
    cperl_buf err = {0};
    SV *v = cpj_decode(aTHX_ s, strlen(s), &err);
    cperl_buf_free(&err);
    return v ? v : newSVpv(s, 0);
}

static SV *build_context(pTHX_ cperl_interp *ip, const cperl_event *ev) {
    HV *h = newHV();
    hv_stores(h, "deadline_ms", newSViv((IV)ev->deadline_ms));
    hv_stores(h, "invoked_function_arn", newSVpv(ev->invoked_function_arn ? ev->invoked_function_arn : "", 0));
    hv_stores(h, "aws_request_id", newSVpv(ev->request_id ? ev->request_id : "", 0));
    hv_stores(h, "trace_id", optional_pv(aTHX_ ev->trace_id));
    hv_stores(h, "tenant_id", optional_pv(aTHX_ ev->tenant_id));
    hv_stores(h, "identity", optional_json(aTHX_ ev->cognito_identity));
    hv_stores(h, "client_context", optional_json(aTHX_ ev->client_context));
    return sv_bless(newRV_noinc((SV *)h), ip->context_stash);
}

cperl_status cperl_invoke(cperl_interp *ip, const cperl_event *ev, cperl_outcome *out) {
    dTHXa(ip->perl);
    PERL_SET_CONTEXT(ip->perl);
    cperl_buf err = {0};
    SV *payload = cpj_decode(aTHX_ ev->payload, ev->payload_len, &err);
    if (!payload) {
        char msg[1024];
        snprintf(msg, sizeof msg, "Could not decode the event as JSON: %s", err.data ? err.data : "invalid JSON");
        cperl_buf_free(&err);
        error_outcome(aTHX_ out, "Runtime.UnmarshalError", msg);
        return CPERL_FAILED;
    }
    cperl_status status = CPERL_OK;
    cperl_current_stream = ev->stream;
    dSP;
    ENTER;
    SAVETMPS;
    // local $SIG{__DIE__} = \&PerlLambda::Host::_on_die, without %SIG's magic on every invocation
    SAVEGENERICSV(PL_diehook);
    PL_diehook = SvREFCNT_inc_simple_NN(ip->die_hook);
    PUSHMARK(SP);
    XPUSHs(sv_2mortal(payload));
    XPUSHs(sv_2mortal(build_context(aTHX_ ip, ev)));
    XPUSHs(ev->stream ? &PL_sv_yes : &PL_sv_no);
    PUTBACK;
    I32 count = 0;
    int code = 0;
    if (call_trapped(aTHX_ (SV *)ip->invoke_cv, G_LIST, &count, &code) == CALL_EXITED) {
        exit_outcome(aTHX_ out, code, "the handler");
        status = CPERL_EXITED;
        PUSHMARK(SP);
        PUTBACK;
        call_pv("PerlLambda::Host::_end_invocation", G_DISCARD | G_EVAL);
        SPAGAIN;
    } else {
        SPAGAIN;
        SV **base = SP - count + 1;
        IV kind = count >= 1 ? SvIV(base[0]) : -1;
        if (kind == CPERL_KIND_RESULT && count == 2) {
            if (cpj_encode(aTHX_ base[1], &out->body, &err) != 0) {
                char msg[1024];
                snprintf(msg, sizeof msg, "Unable to marshal the handler's result as JSON: %s", err.data ? err.data : "");
                PerlIO_printf(PerlIO_stderr(), "%s\n", msg);
                error_outcome(aTHX_ out, "Runtime.MarshalError", msg);
                status = CPERL_FAILED;
            }
        } else if (kind == CPERL_KIND_ERROR && count == 3) {
            document_outcome(aTHX_ out, base[1], base[2]);
            status = CPERL_FAILED;
        } else if (kind == CPERL_KIND_STREAMED) {
            status = CPERL_STREAMED;
        } else {
            const char *msg = SvTRUE(ERRSV) ? SvPV_nolen(ERRSV) : "the runtime's invoke wrapper returned nothing";
            error_outcome(aTHX_ out, "Runtime.Unknown", msg);
            status = CPERL_FAILED;
        }
        SP -= count;
        PUTBACK;
    }
    cperl_buf_free(&err);
    FREETMPS;
    LEAVE;
    cperl_current_stream = NULL;
    PerlIO_flush(NULL);
    return status;
}

cperl_status cperl_eval(cperl_interp *ip, const char *code, cperl_outcome *out) {
    dTHXa(ip->perl);
    PERL_SET_CONTEXT(ip->perl);
    cperl_status status = CPERL_OK;
    I32 count = 0;
    int exit_code = 0;
    dSP;
    ENTER;
    SAVETMPS;
    // eval_sv has no JMPENV of ours: compile the source as a sub, then call it with exit trapped.
    SV *src = sv_2mortal(newSVpvs("sub {\n"));
    sv_catpv(src, code);
    sv_catpvs(src, "\n}");
    SvUTF8_on(src);
    SV *cv = NULL;
    if (eval_sv(src, G_SCALAR | G_EVAL) == 1) {
        SPAGAIN;
        cv = POPs;
        PUTBACK;
    }
    if (!cv || SvTRUE(ERRSV)) {
        error_outcome(aTHX_ out, "Error", SvPV_nolen(ERRSV));
        status = CPERL_FAILED;
    } else {
        PUSHMARK(SP);
        PUTBACK;
        if (call_trapped(aTHX_ cv, G_SCALAR, &count, &exit_code) == CALL_EXITED) {
            exit_outcome(aTHX_ out, exit_code, "evaluated code");
            status = CPERL_EXITED;
        } else {
            SPAGAIN;
            SV *r = count ? POPs : &PL_sv_undef;
            PUTBACK;
            if (SvTRUE(ERRSV)) {
                error_outcome(aTHX_ out, "Error", SvPV_nolen(ERRSV));
                status = CPERL_FAILED;
            } else {
                STRLEN len = 0;
                const char *s = SvOK(r) ? SvPVutf8(r, len) : "";
                cperl_buf_append(&out->body, s, len);
            }
        }
    }
    FREETMPS;
    LEAVE;
    PerlIO_flush(NULL);
    return status;
}
