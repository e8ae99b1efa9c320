"""deploy/prefect.yaml: every deployment names a flow of ours and only parameters that flow takes."""
from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest
import yaml
from prefect import Flow

DEPLOYMENTS = yaml.safe_load((Path(__file__).resolve().parent.parent / "deploy" / "prefect.yaml").read_text())["deployments"]


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=[d["name"] for d in DEPLOYMENTS])
def test_deployment_points_at_a_flow_that_takes_its_parameters(deployment):
    path, name = deployment["entrypoint"].split(":")
    flow = getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), name)
    assert isinstance(flow, Flow)
    accepted = inspect.signature(flow.fn).parameters
    assert set(deployment.get("parameters", {})) <= set(accepted)
    required = {n for n, p in accepted.items() if p.default is inspect.Parameter.empty}
    if deployment.get("schedules"):  # an unscheduled one (an establishment of the fan-out) is given them by its caller
        assert required <= set(deployment.get("parameters", {})), "the schedule would start the flow without them"


def test_the_worker_env_example_sets_what_the_deployments_and_the_flows_read():
    example = (Path(__file__).resolve().parent.parent / "deploy" / "pix-livret.env.example").read_text()
    names = {line.split("=", 1)[0] for line in example.splitlines() if line and not line.startswith("#")}
    assert {"PIX_LIVRET_DB_URL", "PIX_LIVRET_OUT_DIR", "PIX_LIVRET_ARCHIVE_DIR", "PIX_LIVRET_HOME",
            "PREFECT_API_URL", "PREFECT_API_AUTH_STRING"} <= names


def test_the_fan_out_starts_a_deployment_of_the_file_on_the_queue_the_operator_guide_limits():
    from flows.fan_out import ESTABLISHMENT_DEPLOYMENT, QUEUE

    flow_name, name = ESTABLISHMENT_DEPLOYMENT.split("/")
    [deployment] = [d for d in DEPLOYMENTS if d["name"] == name]
    path, attribute = deployment["entrypoint"].split(":")
    assert getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), attribute).name == flow_name
    assert deployment["work_pool"]["work_queue_name"] == QUEUE and not deployment.get("schedules")
    guide = (Path(__file__).resolve().parent.parent / "docs" / "guide-exploitation.md").read_text(encoding="utf-8")
    assert f"prefect work-queue create {QUEUE} --pool pix-livret --limit" in guide


@pytest.mark.parametrize("module, constant", [("flows.livret_export", "EXPORT_DEPLOYMENT"),
                                              ("flows.attestations", "ATTESTATIONS_DEPLOYMENT")])
def test_an_academie_s_june_fans_out_to_a_deployment_of_its_own_flow_in_the_file(module, constant):
    flow_name, name = getattr(importlib.import_module(module), constant).split("/")
    [deployment] = [d for d in DEPLOYMENTS if d["name"] == name]
    path, attribute = deployment["entrypoint"].split(":")
    assert path.removesuffix(".py").replace("/", ".") == module
    assert getattr(importlib.import_module(module), attribute).name == flow_name
    assert deployment["parameters"]["fan_out"] is False  # the académie in the one run unless asked
