# A function image on Lambda's OS-only base image, public.ecr.aws/lambda/provided:al2023, with the perl-lambda
# runtime from `perl-lambda package --layer`: it brings its own perl, libperl, C library and loader, so nothing
# is installed with dnf and nothing is compiled. The base's entrypoint runs /var/runtime/bootstrap (under the AWS
# RIE it ships when run locally), so that is a symlink to the runtime's launcher. Build context:
#   perl-runtime/   the unzipped layer:  perl-lambda package --layer -o perl-runtime.zip && unzip -q perl-runtime.zip -d perl-runtime
#   function/       the handler and its local/lib/perl5 (cpanm -L local --installdeps .)
# then  docker build -f al2023.Dockerfile -t hello-perl .  and  docker run -p 9000:8080 hello-perl
ARG BASE_IMAGE=public.ecr.aws/lambda/provided:al2023
FROM ${BASE_IMAGE}
COPY perl-runtime/ /opt/
RUN mkdir -p /var/runtime && ln -sf /opt/bootstrap /var/runtime/bootstrap && /var/runtime/bootstrap --version
COPY function/ /var/task/
CMD ["handler.handle"]
