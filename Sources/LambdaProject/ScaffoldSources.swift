/// The Perl files of a scaffold: the handler (and PSGI app) and its unit test.
extension Scaffold {
    var handlerSource: String {
        switch template {
        case .hello:
            return #"""
                # \#(name): a Perl function for AWS Lambda on the perl-lambda runtime.
                # The handler is handler.handle: this file, sub handle.
                use strict;
                use warnings;
                use utf8;

                # Code here runs once per execution environment (the cold start): load modules, read
                # configuration, open connections. Package variables keep their values between invocations.
                my $greeting = $ENV{GREETING} // 'Hello';

                sub handle {
                    my ($payload, $context) = @_;    # the decoded JSON event, an AWS::Lambda::Context
                    my $name = (ref $payload eq 'HASH' && $payload->{name}) || 'world';
                    return +{
                        message    => "$greeting, $name!",
                        request_id => $context->aws_request_id,
                    };
                }

                1;

                """#
        case .psgi:
            return #"""
                # \#(name): the PSGI app in app.psgi, served through AWS::Lambda::PSGI, which turns Function URL,
                # API Gateway and ALB events into PSGI requests and the app's responses into their results.
                use strict;
                use warnings;
                use AWS::Lambda::PSGI;

                my $app = require "./app.psgi";
                my $func = AWS::Lambda::PSGI->wrap($app);

                sub handle { $func->(@_) }

                1;

                """#
        case .streaming:
            return #"""
                # \#(name): a response-streaming function on the perl-lambda runtime. Returning a code ref
                # streams: each write reaches the caller as it happens (InvokeWithResponseStream, or a
                # Function URL with InvokeMode RESPONSE_STREAM).
                use strict;
                use warnings;
                use Time::HiRes ();

                sub handle {
                    my ($payload, $context) = @_;
                    my $count = (ref $payload eq 'HASH' && $payload->{count}) || 3;
                    my $delay = (ref $payload eq 'HASH' && $payload->{delay}) || 0;
                    return sub {
                        my $responder = shift;
                        my $writer = $responder->('text/plain');
                        for my $i (1 .. $count) {
                            $writer->write("chunk $i of $count\n");
                            Time::HiRes::sleep($delay) if $delay;
                        }
                        $writer->close;
                    };
                }

                1;

                """#
        }
    }

    var psgiApp: String {
        #"""
        # The PSGI application of \#(name). It runs under any PSGI server too: plackup app.psgi
        use strict;
        use warnings;

        my $app = sub {
            my $env = shift;
            my $path = $env->{PATH_INFO} || '/';
            if ($env->{REQUEST_METHOD} eq 'GET' && $path eq '/') {
                return [200, ['Content-Type' => 'text/plain; charset=utf-8'], ["Hello from \#(name)!\n"]];
            }
            return [404, ['Content-Type' => 'text/plain; charset=utf-8'], ["Not found: $path\n"]];
        };

        $app;

        """#
    }

    var handlerTest: String {
        let header = #"""
            # Unit test of the handler with plain perl:
            #   prove -I/path/to/perl-lambda/perl/lib t/      (or after `make install-perl-lib` there: prove t/)
            use strict;
            use warnings;
            use Test::More;
            use FindBin;
            use AWS::Lambda::Context;

            BEGIN { chdir "$FindBin::Bin/.." or die "chdir: $!" }
            require './handler.pl';

            my $context = AWS::Lambda::Context->new(
                deadline_ms    => 1000 * (time + 3),
                aws_request_id => 'test-request-id',
            );


            """#
        switch template {
        case .hello:
            return header + #"""
                is_deeply handle({ name => 'perl' }, $context),
                    { message => 'Hello, perl!', request_id => 'test-request-id' }, 'greets by name';
                is handle({}, $context)->{message}, 'Hello, world!', 'greets the world without a name';

                done_testing;

                """#
        case .psgi:
            return header + #"""
                use MIME::Base64 ();

                # A Function URL event (the shape of API Gateway HTTP API payload v2.0).
                sub request {
                    my ($method, $path) = @_;
                    return +{
                        version         => '2.0',
                        routeKey        => '$default',
                        rawPath         => $path,
                        rawQueryString  => '',
                        headers         => { host => 'localhost', 'user-agent' => 'handler.t' },
                        requestContext  => {
                            http => { method => $method, path => $path, protocol => 'HTTP/1.1',
                                      sourceIp => '127.0.0.1', userAgent => 'handler.t' },
                            domainName => 'localhost', requestId => 'test-request-id', stage => '$default',
                            timeEpoch => 1000 * time,
                        },
                        isBase64Encoded => 0,
                    };
                }

                # isBase64Encoded is \1 or \0 (a reference either way), as AWS::Lambda returns it
                sub body_of {
                    my $res = shift;
                    return ${ $res->{isBase64Encoded} } ? MIME::Base64::decode_base64($res->{body}) : $res->{body};
                }

                my $res = handle(request(GET => '/'), $context);
                is $res->{statusCode}, 200, 'GET / is 200';
                like body_of($res), qr/^Hello from /, 'GET / greets';

                $res = handle(request(GET => '/nowhere'), $context);
                is $res->{statusCode}, 404, 'unknown paths are 404';

                done_testing;

                """#
        case .streaming:
            return header + #"""
                use AWS::Lambda::ResponseWriter;

                my $stream = handle({ count => 2 }, $context);
                is ref $stream, 'CODE', 'returns a streaming response';

                my ($type, $body, $closed) = ('', '', 0);
                $stream->(sub {
                    $type = shift;
                    return AWS::Lambda::ResponseWriter->new(write => sub { $body .= shift }, close => sub { $closed = 1 });
                });
                is $type, 'text/plain', 'content type';
                is $body, "chunk 1 of 2\nchunk 2 of 2\n", 'streamed chunks';
                ok $closed, 'the writer is closed';

                done_testing;

                """#
        }
    }
}
