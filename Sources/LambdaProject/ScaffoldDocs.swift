/// The deployment files of a scaffold: the SAM templates (zip + layer, container image) and the README.
extension Scaffold {
    /// The path callers invoke under `perl-lambda serve --template`.
    var invokePath: String { "/2015-03-31/functions/\(logicalID)/invocations" }

    var hasFunctionURL: Bool { template != .hello }

    func samTemplate(image: Bool) -> String {
        var s = """
            AWSTemplateFormatVersion: "2010-09-09"
            Transform: AWS::Serverless-2016-10-31
            Description: \(name) - a Perl function on the perl-lambda runtime (\(image ? "container image" : "zip package with the runtime bundled"))

            # Run locally:  perl-lambda serve --template \(image ? "template-image.yaml" : "template.yaml")
            #               curl -XPOST localhost:9000\(invokePath) -d '{}'

            """
        if image {
            s += """
                # Deploy:       sam build -t template-image.yaml && sam deploy --guided   (builds the Dockerfile, FROM perl-lambda:base)
                # Zip packaging with the runtime layer: template.yaml


                """
        } else {
            s += """
                # Deploy:       sam build && sam deploy --guided
                #               (sam build runs `make build-\(logicalID)` of the Makefile: the cpanfile's dependencies into
                #               local/, then the function and the perl-lambda runtime as `perl-lambda package` lays them out)
                # Container image packaging instead: template-image.yaml


                """
        }
        s += """
            Globals:
              Function:
                Timeout: 10
                MemorySize: 256

            Resources:
              \(logicalID):
                Type: AWS::Serverless::Function
                Properties:

            """
        if image {
            s += "      PackageType: Image\n"
        } else {
            s += """
                      Runtime: provided.al2023
                      Handler: handler.handle
                      CodeUri: .

                """
        }
        s += """
                  Architectures:
                    - \(architecture)

            """
        if template == .hello {
            s += """
                      Environment:
                        Variables:
                          GREETING: Hello

                """
        }
        if hasFunctionURL {
            s += """
                      FunctionUrlConfig:
                        AuthType: NONE
                        InvokeMode: \(template == .streaming ? "RESPONSE_STREAM" : "BUFFERED")

                """
        }
        if image {
            s += """
                    Metadata:
                      DockerTag: latest
                      DockerContext: .
                      Dockerfile: Dockerfile

                """
        } else {
            s += """
                    Metadata:
                      BuildMethod: makefile

                """
        }
        s += """

            Outputs:
              FunctionArn:
                Value: !GetAtt \(logicalID).Arn

            """
        if hasFunctionURL {
            s += """
                  FunctionUrl:
                    Value: !GetAtt \(logicalID)Url.FunctionUrl

                """
        }
        return s
    }

    var readme: String {
        let payload = template == .streaming ? #"{"count":5,"delay":0.2}"# : (template == .psgi ? "" : #"{"name":"perl"}"#)
        let event = template == .psgi ? #""$(perl-lambda generate-event function-url --path /)""# : "'\(payload)'"
        var s = """
            # \(name)

            A Perl function for AWS Lambda on the perl-lambda runtime: \(template.summary).

            | file | what |
            |---|---|
            | `handler.pl` | the handler, `handler.handle` |

            """
        if template == .psgi { s += "| `app.psgi` | the PSGI app `handler.pl` wraps with AWS::Lambda::PSGI |\n" }
        s += """
            | `t/handler.t` | its unit test |
            | `cpanfile` | CPAN dependencies (installed into `local/`, which the runtime puts on `@INC`) |
            | `template.yaml` | AWS SAM: zip package on `provided.al2023`, runtime bundled by `sam build` (`Makefile`) |
            | `Makefile` | `build-\(logicalID)`, which `sam build` runs for `template.yaml` |
            | `template-image.yaml` | AWS SAM: container image built from `Dockerfile` (`FROM perl-lambda:base`) |

            ## Test

            ```sh
            prove -I/path/to/perl-lambda/perl/lib t/
            ```

            ## Run locally

            ```sh
            perl-lambda serve                      # serves handler.handle as `function` on 127.0.0.1:9000
            curl -XPOST localhost:9000/2015-03-31/functions/function/invocations -d \(event)

            perl-lambda serve --template template.yaml --watch    # as \(logicalID), restarted when files change
            curl -XPOST localhost:9000\(invokePath) -d \(event)

            perl-lambda invoke handler.handle --payload '\(payload.isEmpty ? "{}" : payload)'   # one call, no server
            ```

            """
        if hasFunctionURL {
            s += """

                With `--template`, the function's Function URL (`FunctionUrlConfig` in template.yaml) is served too: plain
                HTTP requests other than the Invoke API's paths become Function URL events\(template == .streaming ? ", streamed as written" : ""):

                ```sh
                perl-lambda serve --template template.yaml
                curl -i localhost:9000/\(template == .streaming ? "" : "          # → Hello from \(name)!")
                ```

                """
        }
        if template == .streaming {
            s += """

                Streamed through the Invoke API (InvokeWithResponseStream), as boto3's `invoke_with_response_stream` reads it:

                ```sh
                curl -N -XPOST localhost:9000/2021-11-15/functions/function/response-streaming-invocations -d '\(payload)' --output -
                ```

                """
        }
        s += """

            ## Deploy

            As a zip on `provided.al2023` (`template.yaml`), with `perl-lambda` on `PATH`:

            ```sh
            sam build && sam deploy --guided
            ```

            `sam build` runs `make build-\(logicalID)` (`Makefile`): cpanm installs the cpanfile's dependencies into
            `local/`, then the function, `local/lib/perl5` and the perl-lambda runtime (`bootstrap`, `perl-lambda/`) go to
            `.aws-sam/build/\(logicalID)/`, as `perl-lambda package` would zip them; no layer is needed. Without cpanm,
            the build goes on only if every module the cpanfile requires is in perl's core or already in `local/`.

            As a container image (`template-image.yaml`, needs the `perl-lambda:base` image and Docker):

            ```sh
            sam build -t template-image.yaml && sam deploy --guided
            ```

            """
        return s
    }
}
