"""Integration tests of the sign-in methods and graph_auth_info, through ansible-playbook and the emulator.

Each test writes a one-play playbook that connects to the emulator without a credential.
The credential comes the way a real job gets it: from a task option, or from the environment
variables that AWX, the Azure SDK, Terraform, AKS or an App Service host set. The
managed identity tests use the emulator's App Service style endpoint through
IDENTITY_ENDPOINT and IDENTITY_HEADER; nothing is sent to the instance metadata address.
"""

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

import emulator_login  # tests/conftest.py puts tests/emulator on sys.path
import emulator_seed as seed

pytestmark = pytest.mark.integration

# The connection options without any credential; the credential comes from each test.
CONNECTION = {
    "authority_host": "{{ emulator_login_url }}",
    "graph_endpoint": "{{ emulator_graph_url }}",
    "ca_path": "{{ emulator_ca_path }}",
}
WITH_IDS = dict(CONNECTION, tenant_id="{{ emulator_tenant_id }}", client_id="{{ emulator_client_id }}")


def write_playbook(tmp_path, defaults, tasks):
    play = {
        "name": "Sign in to the Graph emulator",
        "hosts": "localhost",
        "gather_facts": False,
        "module_defaults": {"group/entra.governance.graph": defaults},
        "tasks": tasks,
    }
    path = tmp_path / ("playbook-%d.yml" % len(list(tmp_path.glob("playbook-*.yml"))))
    path.write_text(yaml.safe_dump([play], sort_keys=False))
    return path


def auth_info_task(**options):
    return {"name": "Sign in", "entra.governance.graph_auth_info": options, "register": "auth_info"}


def run_auth_info(run_playbook, tmp_path, defaults=None, env=None, verbosity=0, **options):
    playbook = write_playbook(tmp_path, WITH_IDS if defaults is None else defaults, [auth_info_task(**options)])
    return run_playbook(playbook, env=env, verbosity=verbosity)


def succeeded(run):
    assert run.rc == 0, run.describe()
    return run.result("Sign in")


def failed(run):
    assert run.rc != 0, run.describe()
    assert [entry["task"] for entry in run.failed_tasks()] == ["Sign in"], run.describe()
    return run.result("Sign in")


def token_requests(emulator):
    return [entry for entry in emulator.requests() if entry["listener"] == "login"]


def warning_texts(result):
    return [warning["event"]["msg"] if isinstance(warning, dict) else warning for warning in result.get("warnings", [])]


# Environment variables of AWX, Terraform and the Azure SDK


def test_awx_variables(run_playbook, emulator, tmp_path):
    info = emulator.info
    env = {
        "AZURE_TENANT": info["tenant_id"],
        "AZURE_CLIENT_ID": info["client_id"],
        "AZURE_SECRET": info["client_secret"],
    }

    result = succeeded(run_auth_info(run_playbook, tmp_path, defaults=CONNECTION, env=env))

    assert result["auth_method"] == "client_secret"
    assert (
        result["auth_selection"] == "auth_method auto chose client_secret because the environment variable "
        "AZURE_SECRET is set"
    )
    assert result["tenant_id"] == info["tenant_id"]
    assert result["client_id"] == info["client_id"]
    assert result["roles"] == sorted(seed.DEFAULT_APP_ROLES)


def test_terraform_variables(run_playbook, emulator, tmp_path):
    info = emulator.info
    env = {
        "ARM_TENANT_ID": info["tenant_id"],
        "ARM_CLIENT_ID": info["client_id"],
        "ARM_CLIENT_SECRET": info["client_secret"],
    }

    run = run_auth_info(run_playbook, tmp_path, defaults=CONNECTION, env=env)

    result = succeeded(run)
    assert result["auth_method"] == "client_secret"
    assert "ARM_CLIENT_SECRET" in result["auth_selection"]
    assert result["tenant_id"] == info["tenant_id"]
    assert info["client_secret"] not in run.output


def test_sdk_variable_beats_terraform(run_playbook, emulator, tmp_path):
    info = emulator.info
    env = {"AZURE_CLIENT_SECRET": "wrong-sdk-secret", "ARM_CLIENT_SECRET": info["client_secret"]}

    result = failed(run_auth_info(run_playbook, tmp_path, env=env))

    assert result["error_code"] == "AADSTS7000215"
    assert "client secret of client_id %s in tenant %s" % (info["client_id"], info["tenant_id"]) in result["msg"]
    assert "Hint: the client secret is wrong" in result["msg"]
    assert "wrong-sdk-secret" not in json.dumps(result)


def test_task_option_beats_variables(run_playbook, emulator, tmp_path):
    env = {"AZURE_CLIENT_SECRET": "wrong-sdk-secret", "AZURE_FEDERATED_TOKEN_FILE": "/nonexistent/token"}

    result = succeeded(run_auth_info(run_playbook, tmp_path, env=env, client_secret=emulator.info["client_secret"]))

    assert result["auth_selection"] == "auth_method auto chose client_secret because the task sets client_secret"


# Workload identity federation


def test_federated_token_file_variable(run_playbook, emulator, tmp_path):
    env = {"AZURE_FEDERATED_TOKEN_FILE": emulator.info["federated_token_file"]}

    result = succeeded(run_auth_info(run_playbook, tmp_path, env=env))

    assert result["auth_method"] == "federated"
    assert "AZURE_FEDERATED_TOKEN_FILE" in result["auth_selection"]
    token_form_posts = [entry for entry in token_requests(emulator) if entry["method"] == "POST"]
    assert [entry["status"] for entry in token_form_posts] == [200]


def test_federated_terraform_variable(run_playbook, emulator, tmp_path):
    env = {"ARM_OIDC_TOKEN_FILE_PATH": emulator.info["federated_token_file"]}

    result = succeeded(run_auth_info(run_playbook, tmp_path, env=env, auth_method="federated"))

    assert result["auth_selection"] == "auth_method federated was set"


def test_federated_untrusted_token(run_playbook, emulator, tmp_path):
    other = tmp_path / "other-token.jwt"
    other.write_text(emulator_login.make_federated_token())

    result = failed(run_auth_info(run_playbook, tmp_path, federated_token_file=str(other)))

    assert result["error_code"] == "AADSTS70021"
    assert result["msg"].startswith(
        "Failed to get a token with federated of client_id %s in tenant %s"
        % (emulator.info["client_id"], emulator.info["tenant_id"])
    )
    assert "Hint: no federated credential of the app matches the presented token." in result["msg"]


# Managed identity


def identity_environment(emulator):
    return {
        "IDENTITY_ENDPOINT": emulator.info["identity_endpoint"],
        "IDENTITY_HEADER": emulator.info["identity_header"],
    }


def test_managed_identity_system_assigned(run_playbook, emulator, tmp_path):
    result = succeeded(run_auth_info(run_playbook, tmp_path, defaults=CONNECTION, env=identity_environment(emulator)))

    assert result["auth_method"] == "managed_identity"
    assert result["client_id"] == emulator_login.SYSTEM_IDENTITY_CLIENT_ID
    assert result["tenant_id"] == emulator.info["tenant_id"]
    assert [entry["path"] for entry in token_requests(emulator)] == ["/msi/token"]


def test_managed_identity_user_assigned(run_playbook, emulator, tmp_path):
    identity = emulator_login.USER_IDENTITY

    run = run_auth_info(
        run_playbook,
        tmp_path,
        defaults=CONNECTION,
        env=identity_environment(emulator),
        auth_method="managed_identity",
        managed_identity_resource_id=identity["mi_res_id"],
    )

    result = succeeded(run)
    assert result["client_id"] == identity["client_id"]
    assert token_requests(emulator)[0]["query"]["mi_res_id"] == identity["mi_res_id"]


def test_managed_identity_without_endpoint(run_playbook, emulator, tmp_path):
    run = run_auth_info(run_playbook, tmp_path, defaults=CONNECTION, auth_method="managed_identity")

    result = failed(run)
    assert result["msg"].startswith("Missing IDENTITY_ENDPOINT or IDENTITY_HEADER")
    assert token_requests(emulator) == []


def test_managed_identity_used_by_module(run_playbook, emulator, tmp_path):
    tasks = [{"name": "Read organizations", "entra.governance.connected_org_info": {}, "register": "organizations"}]
    playbook = write_playbook(tmp_path, CONNECTION, tasks)

    run = run_playbook(playbook, env=identity_environment(emulator))

    assert run.rc == 0, run.describe()
    names = {item["display_name"] for item in run.result("Read organizations")["connected_organizations"]}
    assert "Fabrikam" in names


# Azure CLI


# A stand-in for the Azure CLI that logs its arguments. Signed in, it gets a real emulator
# token with the client secret, as the real CLI returns a token of its own sign-in.
STAND_IN_AZ = """#!{python}
import json, ssl, sys, urllib.parse, urllib.request

with open({log!r}, "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
if not {logged_in!r}:
    sys.stderr.write("ERROR: Please run 'az login' to setup account.\\n")
    sys.exit(1)
resource = sys.argv[sys.argv.index("--resource") + 1]
form = {{"grant_type": "client_credentials", "client_id": {client_id!r}, "client_secret": {secret!r}}}
form["scope"] = resource + "/.default"
context = ssl.create_default_context(cafile={ca_path!r})
response = urllib.request.urlopen({token_url!r}, urllib.parse.urlencode(form).encode(), context=context)
token = json.load(response)["access_token"]
print(json.dumps({{"accessToken": token, "expiresOn": "2030-01-01 00:00:00.000000", "tokenType": "Bearer"}}))
"""


def write_stand_in_az(tmp_path, emulator, logged_in=True):
    """Write the stand-in ``az`` into a new bin directory; return the directory and the call log path."""
    bin_dir = tmp_path / "az-bin"
    bin_dir.mkdir()
    log = tmp_path / "az-calls.jsonl"
    info = emulator.info
    script = bin_dir / "az"
    script.write_text(
        STAND_IN_AZ.format(
            python=sys.executable,
            log=str(log),
            logged_in=logged_in,
            client_id=info["client_id"],
            secret=info["client_secret"],
            ca_path=info["ca_path"],
            token_url="%s/%s/oauth2/v2.0/token" % (info["login_url"], info["tenant_id"]),
        )
    )
    script.chmod(0o755)
    return bin_dir, log


def path_with(bin_dir):
    return "%s:%s" % (bin_dir, os.environ.get("PATH", "/usr/bin:/bin"))


def test_azure_cli_token(run_playbook, emulator, tmp_path):
    bin_dir, log = write_stand_in_az(tmp_path, emulator)

    run = run_auth_info(
        run_playbook, tmp_path, defaults=CONNECTION, env={"PATH": path_with(bin_dir)}, auth_method="azure_cli"
    )

    result = succeeded(run)
    assert result["auth_method"] == "azure_cli"
    assert result["client_id"] == emulator.info["client_id"]
    assert any(
        "Azure CLI tokens are issued to the Azure CLI's own application" in text for text in warning_texts(result)
    )
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert calls == [["account", "get-access-token", "--resource", emulator.info["graph_url"], "--output", "json"]]


def test_azure_cli_not_logged_in(run_playbook, emulator, tmp_path):
    bin_dir, _log = write_stand_in_az(tmp_path, emulator, logged_in=False)

    run = run_auth_info(
        run_playbook, tmp_path, defaults=WITH_IDS, env={"PATH": path_with(bin_dir)}, auth_method="azure_cli"
    )

    result = failed(run)
    assert "the Azure CLI in tenant %s" % emulator.info["tenant_id"] in result["msg"]
    assert "Hint: the Azure CLI is not signed in; run 'az login'" in result["msg"]


def test_azure_cli_missing(run_playbook, emulator, tmp_path):
    search_path = "/usr/bin:/bin"
    if shutil.which("az", path=search_path):
        pytest.skip("this machine has az in %s" % search_path)

    run = run_auth_info(run_playbook, tmp_path, defaults=CONNECTION, env={"PATH": search_path}, auth_method="azure_cli")

    result = failed(run)
    assert result["msg"].startswith("Missing Azure CLI: auth_method azure_cli needs the 'az' command on PATH")


# Certificates, permissions and verbosity


def test_pfx_certificate(run_playbook, emulator, tmp_path):
    password = emulator.info["certificate_password"]
    pem = Path(emulator.info["certificate_path"]).read_bytes()
    key = serialization.load_pem_private_key(pem, password.encode())
    pfx = tmp_path / "app.pfx"
    encryption = serialization.BestAvailableEncryption(b"pfx-password")
    pfx.write_bytes(pkcs12.serialize_key_and_certificates(b"app", key, emulator.client_certificate, None, encryption))

    run = run_auth_info(
        run_playbook, tmp_path, client_certificate_path=str(pfx), client_certificate_password="pfx-password"
    )

    result = succeeded(run)
    assert result["auth_method"] == "certificate"
    assert "pfx-password" not in run.output


def test_missing_permissions_warned(run_playbook, emulator, tmp_path):
    emulator.configure(app_roles=["EntitlementManagement.Read.All"])

    result = succeeded(run_auth_info(run_playbook, tmp_path, client_secret=emulator.info["client_secret"]))

    assert result["roles"] == ["EntitlementManagement.Read.All"]
    assert result["missing_permissions"] == ["EntitlementManagement.ReadWrite.All", "User.Read.All", "Group.Read.All"]
    texts = warning_texts(result)
    assert len([text for text in texts if text.startswith("The token lacks the application permission")]) == 3


def test_token_not_in_output(run_playbook, emulator, tmp_path):
    run = run_auth_info(run_playbook, tmp_path, verbosity=3, client_secret=emulator.info["client_secret"])

    result = succeeded(run)
    issued = list(emulator.tenant.tokens)
    assert len(issued) == 1
    assert issued[0] not in run.output
    assert issued[0].split(".")[1] not in run.output
    assert json.loads(base64.urlsafe_b64decode(issued[0].split(".")[1] + "==="))["exp"] > 0
    assert result["token_expires_on"].endswith("Z")


@pytest.mark.parametrize("verbosity, shown", [(0, False), (3, True)])
def test_selection_shown_at_vvv(run_playbook, emulator, tmp_path, verbosity, shown):
    tasks = [{"name": "Read organizations", "entra.governance.connected_org_info": {}, "register": "organizations"}]
    playbook = write_playbook(tmp_path, WITH_IDS, tasks)

    run = run_playbook(playbook, env={"AZURE_SECRET": emulator.info["client_secret"]}, verbosity=verbosity)

    assert run.rc == 0, run.describe()
    result = run.result("Read organizations")
    assert ("auth_selection" in result) is shown
    if shown:
        assert (
            result["auth_selection"] == "auth_method auto chose client_secret because the environment variable "
            "AZURE_SECRET is set"
        )
        assert emulator.info["client_secret"] not in run.output


# A job run the way AWX runs it: ansible-runner with a private data directory whose env/envvars
# contains what the job's credentials inject.

# The venv's bin directory, found without resolving the python symlink, contains ansible-runner.
VENV_BIN = Path(sys.executable).parent
STRIPPED_PREFIXES = ("ANSIBLE_", "AZURE_", "ARM_", "IDENTITY_")

RUNNER_PLAYBOOK = [
    {
        "name": "Audit job",
        "hosts": "localhost",
        "gather_facts": False,
        "module_defaults": {"group/entra.governance.graph": CONNECTION},
        "tasks": [
            {"name": "Sign in", "entra.governance.graph_auth_info": {}, "register": "auth_info"},
            {
                "name": "Read sponsors of Fabrikam",
                "entra.governance.connected_org_sponsor_info": {"connected_organization": "Fabrikam"},
            },
        ],
    }
]


def awx_credentials(emulator, kind, data_dir):
    """Return the environment that an AWX credential of ``kind`` injects into a job."""
    info = emulator.info
    if kind == "azure_rm":
        # The built-in "Microsoft Azure Resource Manager" credential type.
        return {
            "AZURE_CLIENT_ID": info["client_id"],
            "AZURE_SECRET": info["client_secret"],
            "AZURE_TENANT": info["tenant_id"],
        }
    ids = {"AZURE_CLIENT_ID": info["client_id"], "AZURE_TENANT_ID": info["tenant_id"]}
    if kind == "certificate":
        # The custom credential type of docs/docsite/rst/awx.rst writes the PEM into a file.
        certificate = data_dir / "env" / "certificate.pem"
        certificate.write_bytes(Path(info["certificate_path"]).read_bytes())
        ids.update(
            {
                "AZURE_CLIENT_CERTIFICATE_PATH": str(certificate),
                "AZURE_CLIENT_CERTIFICATE_PASSWORD": info["certificate_password"],
            }
        )
        return ids
    token = data_dir / "env" / "federated-token"
    token.write_text(Path(info["federated_token_file"]).read_text())
    ids["AZURE_FEDERATED_TOKEN_FILE"] = str(token)
    return ids


@pytest.mark.parametrize(
    "kind, method",
    [("azure_rm", "client_secret"), ("certificate", "certificate"), ("federated", "federated")],
)
def test_awx_job_through_ansible_runner(collections_path, emulator, tmp_path, kind, method):
    runner = VENV_BIN / "ansible-runner"
    if not runner.exists():
        pytest.fail("ansible-runner not found next to %s; install tests/requirements.txt" % sys.executable)
    data_dir = tmp_path / "private_data_dir"
    for folder in ("project", "inventory", "env"):
        (data_dir / folder).mkdir(parents=True)
    (data_dir / "project" / "audit.yml").write_text(yaml.safe_dump(RUNNER_PLAYBOOK, sort_keys=False))
    (data_dir / "inventory" / "hosts").write_text(
        "localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable
    )
    extra_vars = yaml.safe_load((tmp_path / "emulator" / "vars.yml").read_text())
    (data_dir / "env" / "extravars").write_text(yaml.safe_dump(extra_vars))
    envvars = awx_credentials(emulator, kind, data_dir)
    envvars["ANSIBLE_COLLECTIONS_PATH"] = str(collections_path)
    (data_dir / "env" / "envvars").write_text(yaml.safe_dump(envvars))

    command = [str(runner), "run", str(data_dir), "-p", "audit.yml", "--ident", "job"]
    # As in an execution environment, nothing of the caller's Ansible or Azure settings reaches the job.
    environment = {name: value for name, value in os.environ.items() if not name.startswith(STRIPPED_PREFIXES)}
    environment.pop("PYTHONPATH", None)
    environment["PATH"] = "%s:%s" % (VENV_BIN, os.environ.get("PATH", ""))
    environment["ANSIBLE_HOME"] = str(tmp_path / "ansible-home")
    completed = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=300, check=False)

    artifacts = data_dir / "artifacts" / "job"
    stdout = (artifacts / "stdout").read_text() if (artifacts / "stdout").exists() else completed.stdout
    assert (artifacts / "status").read_text() == "successful", stdout + completed.stderr
    results = {}
    for event_file in sorted((artifacts / "job_events").glob("*.json")):
        event = json.loads(event_file.read_text())
        if event.get("event") == "runner_on_ok":
            results[event["event_data"]["task"]] = event["event_data"]["res"]
    auth_info = results["Sign in"]
    assert auth_info["auth_method"] == method
    assert auth_info["tenant_id"] == emulator.info["tenant_id"]
    assert auth_info["client_id"] == emulator.info["client_id"]
    assert auth_info["missing_permissions"] == []
    sponsors = results["Read sponsors of Fabrikam"]["connected_organizations"]
    assert [organization["display_name"] for organization in sponsors] == ["Fabrikam"]
    for secret in (emulator.info["client_secret"], emulator.info["certificate_password"]):
        assert secret not in stdout


# cloud auto


def test_cloud_auto_sovereign_tenant(run_playbook, emulator, tmp_path):
    emulator.configure(tenant_cloud="usgov")

    run = run_auth_info(run_playbook, tmp_path, cloud="auto", client_secret=emulator.info["client_secret"])

    result = succeeded(run)
    assert result["cloud"] == "usgov"
    # graph_endpoint overrides the cloud's Graph host, so the emulator still gets the requests.
    assert result["graph_endpoint"] == emulator.info["graph_url"]
    discovery = [entry for entry in token_requests(emulator) if entry["path"].endswith("openid-configuration")]
    assert discovery, "the cloud was not read from the OpenID metadata"


def test_cloud_auto_unknown_graph_host(run_playbook, emulator, tmp_path):
    run = run_auth_info(run_playbook, tmp_path, cloud="auto", client_secret=emulator.info["client_secret"])

    result = failed(run)
    assert result["msg"].startswith("Invalid cloud auto: the OpenID metadata of tenant")
    assert "cloud instance 'emulator.invalid'" in result["msg"]
