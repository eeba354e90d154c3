# A Mojolicious::Lite application (Debian's libmojolicious-perl), run unchanged by plackup and by perl-lambda.
use Mojolicious::Lite -signatures;

get '/' => sub ($c) { $c->render(text => 'Hello from Mojolicious, ' . $c->url_for('/hello/x')->to_abs->path) };
get '/hello/:name' => sub ($c) { $c->render(json => { hello => $c->param('name'), q => $c->every_param('q') }) };
post '/echo' => sub ($c) { $c->render(json => { got => $c->req->json, type => $c->req->headers->content_type }) };
get '/login' => sub ($c) {
    $c->cookie(user => 'alice', { path => '/' });
    $c->cookie(lang => 'perl', { path => '/' });
    $c->redirect_to('/me');
};
get '/me' => sub ($c) { $c->render(text => 'user=' . ($c->cookie('user') // '') . ' lang=' . ($c->cookie('lang') // '')) };
get '/bytes' => sub ($c) { $c->res->headers->content_type('application/octet-stream'); $c->render(data => join '', map { chr } 0 .. 255) };
post '/upload' => sub ($c) {
    my $u = $c->req->upload('file');
    $c->render(text => sprintf '%s %d', $u->filename, $u->size);
};

app->start;
