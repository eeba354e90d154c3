// The Swift-facing API of the Perl shim. Plain C, opaque pointers, no perl.h.
// Every function taking a cperl_interp must run on the thread that created it.
#ifndef CPERL_H
#define CPERL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A growable byte buffer allocated with malloc. Release with cperl_buf_free.
typedef struct cperl_buf {
    char *data;
    size_t len;
    size_t cap;
} cperl_buf;

void cperl_buf_free(cperl_buf *buf);
void cperl_buf_append(cperl_buf *buf, const char *bytes, size_t len);

/// An embedded Perl interpreter.
typedef struct cperl_interp cperl_interp;

/// Writes the JSON text of an error document `{"errorMessage","errorType","stackTrace"}` into `out` (appending).
/// Strings are UTF-8 with their lengths. The shape has one owner, LambdaWire's ErrorDocument: the Swift side
/// installs its writer with cperl_set_document_writer before any interpreter exists, and Perl reaches it through
/// PerlLambda::Host::_document.
typedef void (*cperl_document_fn)(const char *type, size_t type_len, const char *message, size_t message_len,
                                  const char *const *frames, const size_t *frame_lens, size_t frame_count, cperl_buf *out);
void cperl_set_document_writer(cperl_document_fn fn);

/// Process-wide set-up (PERL_SYS_INIT3). Call once, before any interpreter exists.
void cperl_process_init(void);

/// Creates an interpreter bound to the calling thread, with the runtime's own modules
/// (AWS::Lambda, AWS::Lambda::Context, ...) available. `lib_dirs` (colon separated, may be NULL) go first on @INC.
/// Returns NULL and a message in `err` on failure.
cperl_interp *cperl_create(const char *lib_dirs, cperl_buf *err);
void cperl_destroy(cperl_interp *interp);

typedef enum cperl_status {
    CPERL_OK = 0,       ///< body holds the JSON result
    CPERL_FAILED = 1,   ///< body holds the error document {"errorMessage","errorType","stackTrace"}
    CPERL_EXITED = 2,   ///< Perl code called exit; body holds a Runtime.ExitError error document
    CPERL_STREAMED = 3, ///< the handler streamed its response through the stream callbacks
} cperl_status;

/// What a load or an invocation produced.
typedef struct cperl_outcome {
    cperl_buf body;
    char error_type[256]; ///< set unless CPERL_OK / CPERL_STREAMED
    int exit_code;        ///< set when CPERL_EXITED
} cperl_outcome;

void cperl_outcome_free(cperl_outcome *out);

/// Loads a parsed handler (HandlerName) like AWS::Lambda::Bootstrap: require "$task_root/FILE", FUNCTION looked
/// up in main (or fully qualified); FUNCTION NULL: FILE is a PSGI app. FILE NULL: FUNCTION is the message of an
/// invalid handler string, reported as the init error.
cperl_status cperl_load_handler(cperl_interp *interp, const char *task_root, const char *file,
                                const char *function, cperl_outcome *out);

/// Streaming callbacks: called on the interpreter's thread while a handler streams.
/// Each returns 0 on success, non-zero when the stream is broken (the handler then sees a die).
typedef struct cperl_stream_callbacks {
    void *context;
    int (*start)(void *context, const char *content_type, size_t content_type_len);
    int (*write)(void *context, const char *bytes, size_t len);
    /// error_type/error_body NULL for a clean close.
    int (*finish)(void *context, const char *error_type, const char *error_body, size_t error_body_len);
} cperl_stream_callbacks;

/// One invocation's inputs. Strings are NUL-terminated; optional ones may be NULL.
typedef struct cperl_event {
    const char *payload;
    size_t payload_len;
    const char *request_id;
    int64_t deadline_ms;
    const char *invoked_function_arn;
    const char *trace_id;
    const char *client_context;   ///< JSON text
    const char *cognito_identity; ///< JSON text
    const char *tenant_id;
    const cperl_stream_callbacks *stream; ///< NULL: code-ref results are an error
} cperl_event;

/// Decodes the payload, calls the loaded handler in scalar context with ($payload, $context),
/// traps die and exit, encodes the result. Never longjmps out.
cperl_status cperl_invoke(cperl_interp *interp, const cperl_event *event, cperl_outcome *out);

/// Evaluates Perl source (PerlInterpreter.eval: tests and tools). The value of the last
/// statement, stringified, goes to `out->body`. die → CPERL_FAILED, exit → CPERL_EXITED.
cperl_status cperl_eval(cperl_interp *interp, const char *code, cperl_outcome *out);

/// Runs a Perl script like `perl FILE ARGS...` with the runtime's modules available (for tests and
/// benchmarks: `bootstrap --script t/codec.t`). argv[0] is the script. Returns the exit status.
int cperl_run_main(int argc, char **argv);

/// Where Perl's STDOUT (fd 1) and STDERR (fd 2) go once `cperl_capture_output` tied them: called on the
/// interpreter's thread, in the order the handler printed, with the bytes (UTF-8 for character strings).
typedef void (*cperl_output_fn)(void *context, int fd, const char *bytes, size_t len);

/// Ties STDOUT/STDERR so every print/printf/warn reaches `fn` synchronously (structured JSON logs keep
/// the order of the two streams). Returns 0 on success.
int cperl_capture_output(cperl_interp *interp, cperl_output_fn fn, void *context);

/// Runs the `%SIG` handlers of signals perl caught while the thread was outside Perl (e.g. SIGTERM at shutdown while
/// blocked in GET /next: perl defers handlers to its next op, which would never come). Returns -1 when the
/// interpreter carries on; otherwise a handler ended the program (`exit`, or `die` outside an eval): its END blocks
/// have run, the interpreter is destroyed, and the exit status is returned.
int cperl_dispatch_signals(cperl_interp *interp);

/// Flushes every PerlIO handle (STDOUT/STDERR) so output is not held across invocations.
void cperl_flush(cperl_interp *interp);

#ifdef __cplusplus
}
#endif
#endif
