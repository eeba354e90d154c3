"""--env-file (KEY=VALUE lines) and --env-vars (the SAM CLI's JSON) for serve and invoke, and their precedence:
template < --env-file < --env-vars < -e/--env."""
import json
import subprocess

from conftest import BIN, PERL_FUNCTIONS



def env_handler(tmp_path):
    (tmp_path / "envh.pl").write_text(
        "sub handle { +{ map { $_ => $ENV{$_} } grep { /^(V_|TABLE|STAGE)/ } keys %ENV } } 1;\n")
    return str(tmp_path)


def invoke(root, *args):
    p = subprocess.run([BIN, "invoke", "--task-root", root, *args, "envh.handle"], capture_output=True, text=True,
                       timeout=60)
    return p


def test_invoke_precedence(tmp_path):
    root = env_handler(tmp_path)
    (tmp_path / "a.env").write_text("# comment\n\nV_FILE=file\nV_BOTH=file\nV_ALL=file\nexport V_Q=\"a b\\n\"\n")
    (tmp_path / "vars.json").write_text(json.dumps({
        "Parameters": {"V_BOTH": "params", "V_ALL": "params", "V_NUM": 3, "V_BOOL": True},
        "function": {"V_ALL": "function"}, "Other": {"V_ALL": "other"}}))
    p = invoke(root, "--env-file", str(tmp_path / "a.env"), "--env-vars", str(tmp_path / "vars.json"),
               "-e", "V_CLI=cli")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"V_FILE": "file", "V_BOTH": "params", "V_ALL": "function", "V_Q": "a b\n",
                                    "V_NUM": "3", "V_BOOL": "true", "V_CLI": "cli"}
    p = invoke(root, "--env-vars", str(tmp_path / "vars.json"), "-e", "V_ALL=cli")
    assert json.loads(p.stdout)["V_ALL"] == "cli"


def test_bad_files_are_clear(tmp_path):
    root = env_handler(tmp_path)
    (tmp_path / "bad.env").write_text("V_A=1\nnot a line\n")
    p = invoke(root, "--env-file", str(tmp_path / "bad.env"))
    assert p.returncode != 0
    assert f"{tmp_path}/bad.env:2: expected KEY=VALUE, got 'not a line'" in p.stderr
    (tmp_path / "bad.json").write_text('{"Parameters": ["x"]}')
    p = invoke(root, "--env-vars", str(tmp_path / "bad.json"))
    assert p.returncode != 0 and '"Parameters" must be an object of variables' in p.stderr
    p = invoke(root, "--env-file", str(tmp_path / "missing.env"))
    assert p.returncode != 0 and "--env-file: cannot read" in p.stderr and "missing.env" in p.stderr


def test_template_only_declared_variables(serve, tmp_path):
    root = env_handler(tmp_path)
    (tmp_path / "template.yaml").write_text(f"""
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Environment:
      Variables:
        STAGE: dev
Resources:
  Bucket:
    Type: AWS::S3::Bucket
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {root}
      Handler: envh.handle
      FunctionName: hello-fn
      Environment:
        Variables:
          TABLE: !GetAtt Bucket.Arn
          V_T: template
""")
    (tmp_path / "vars.json").write_text(json.dumps({
        "Parameters": {"STAGE": "prod", "V_UNDECLARED": "x"}, "hello-fn": {"TABLE": "my-table"}}))
    (tmp_path / "a.env").write_text("V_T=envfile\nV_EXTRA=envfile\n")
    s = serve("--template", str(tmp_path / "template.yaml"), "--env-vars", str(tmp_path / "vars.json"),
              "--env-file", str(tmp_path / "a.env"))
    status, _, body = s.invoke({}, function="Hello")
    assert status == 200
    # --env-vars sets declared variables only (TABLE has no local value but is declared), by FunctionName too;
    # --env-file and -e set any
    assert body == {"STAGE": "prod", "TABLE": "my-table", "V_T": "envfile", "V_EXTRA": "envfile"}
