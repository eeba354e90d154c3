// The Perl modules the runtime provides itself, compiled into the binary so that `use AWS::Lambda;` works with
// nothing installed. Their sources live in perl/lib and perl/runtime.
// Clang 19+ (Swift 6.1+) reads them with C23 #embed. Swift 6.0's clang (17) has no #embed: there the assembler's
// .incbin includes the same files, by absolute path (PERL_LAMBDA_SOURCE_ROOT, set by Package.swift), so the
// bootstrap also builds with Debian trixie's Swift 6.0.3 (the multi-architecture layers' toolchain).
// PERL_LAMBDA_INCBIN forces that path (t/layers builds it with Swift 6.3 too).
#include <stddef.h>
#include <string.h>
#include "cperl_modules.h"

#if defined(__has_embed) && !defined(PERL_LAMBDA_INCBIN)
#pragma clang diagnostic ignored "-Wc23-extensions"
static const char aws_lambda[] = {
#embed "../../perl/lib/AWS/Lambda.pm"
};
static const char aws_lambda_context[] = {
#embed "../../perl/lib/AWS/Lambda/Context.pm"
};
static const char aws_lambda_response_writer[] = {
#embed "../../perl/lib/AWS/Lambda/ResponseWriter.pm"
};
static const char aws_lambda_psgi[] = {
#embed "../../perl/lib/AWS/Lambda/PSGI.pm"
};
// AWS::Lambda's entry point for Dockerfiles that run `perl -MAWS::Lambda::Bootstrap`; embedded so that a handler's
// `use AWS::Lambda::Bootstrap` inside this bootstrap loads it, not another copy with prerequisites, and is harmless
static const char aws_lambda_bootstrap[] = {
#embed "../../perl/lib/AWS/Lambda/Bootstrap.pm"
};
static const char perl_lambda_host[] = {
#embed "../../perl/runtime/PerlLambda/Host.pm"
};

#define MODULE(name, sym) {name, sym, sym + sizeof sym}
#else
#ifndef PERL_LAMBDA_SOURCE_ROOT
#error "PERL_LAMBDA_SOURCE_ROOT (the package directory) is needed where the compiler has no #embed"
#endif
// sym .. sym_end: the file's bytes, in .rodata, hidden (local to the binary)
#define INCBIN(sym, path) \
    __attribute__((visibility("hidden"))) extern const char sym[], sym##_end[]; \
    __asm__(".pushsection .rodata\n.hidden " #sym "\n.hidden " #sym "_end\n.globl " #sym "\n.globl " #sym "_end\n" \
            #sym ":\n.incbin \"" PERL_LAMBDA_SOURCE_ROOT "/" path "\"\n" #sym "_end:\n.popsection\n");
INCBIN(aws_lambda, "perl/lib/AWS/Lambda.pm")
INCBIN(aws_lambda_context, "perl/lib/AWS/Lambda/Context.pm")
INCBIN(aws_lambda_response_writer, "perl/lib/AWS/Lambda/ResponseWriter.pm")
INCBIN(aws_lambda_psgi, "perl/lib/AWS/Lambda/PSGI.pm")
INCBIN(aws_lambda_bootstrap, "perl/lib/AWS/Lambda/Bootstrap.pm")
INCBIN(perl_lambda_host, "perl/runtime/PerlLambda/Host.pm")
#define MODULE(name, sym) {name, sym, sym##_end}
#endif

static const cperl_module modules[] = {
    MODULE("AWS/Lambda.pm", aws_lambda),
    MODULE("AWS/Lambda/Context.pm", aws_lambda_context),
    MODULE("AWS/Lambda/ResponseWriter.pm", aws_lambda_response_writer),
    MODULE("AWS/Lambda/PSGI.pm", aws_lambda_psgi),
    MODULE("AWS/Lambda/Bootstrap.pm", aws_lambda_bootstrap),
    MODULE("PerlLambda/Host.pm", perl_lambda_host),
};

const cperl_module *cperl_find_module(const char *name, size_t len) {
    for (size_t i = 0; i < sizeof modules / sizeof modules[0]; i++) {
        if (strlen(modules[i].name) == len && memcmp(modules[i].name, name, len) == 0) return &modules[i];
    }
    return NULL;
}
