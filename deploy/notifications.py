"""The nightly run's alert: a Prefect automation that posts to a webhook when a nightly run does not end clean.

    PREFECT_API_URL=… PREFECT_API_AUTH_STRING=… python deploy/notifications.py --webhook-url https://…

Creates (or replaces) the webhook block "pix-livret-alertes" and the automation "pix-livret : nuit à vérifier",
triggered by the nightly deployment's flow runs that end Failed (input set aside, establishments not loaded,
attestations in failure: the message says which) or Crashed.
The message carries the run's name and its state message (counts only: pix-livret's state messages never name a
student). Run it again after `prefect deploy`: the automation is tied to the deployment's id.
"""
from __future__ import annotations

import argparse
import sys

from prefect.automations import Automation, EventTrigger
from prefect.blocks.notifications import CustomWebhookNotificationBlock
from prefect.client.orchestration import get_client
from prefect.events.actions import SendNotification

BLOCK = "pix-livret-alertes"
AUTOMATION = "pix-livret : nuit à vérifier"
DEPLOYMENT = "nightly-ingest/nightly"
# every non-clean end of a nightly run (flows/nightly_ingest.final_state) is Failed; Crashed is the process's death
NOT_CLEAN = ("Failed", "Crashed")
BODY = ("Exécution de nuit {{ flow_run.name }} : {{ flow_run.state.name }}.\n"
        "{{ flow_run.state.message }}\nDétail : onglet Artifacts de l'exécution dans l'interface Prefect.")


def install(webhook_url: str, *, allow_private_urls: bool = False) -> Automation:
    """The block and the automation, replacing earlier ones of the same names."""
    block = CustomWebhookNotificationBlock(name=BLOCK, url=webhook_url, method="POST",
                                           json_data={"text": "{{subject}}\n{{body}}"},
                                           allow_private_urls=allow_private_urls)
    block_id = block.save(BLOCK, overwrite=True)
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(DEPLOYMENT)
        for existing in client.read_automations_by_name(AUTOMATION):
            client.delete_automation(existing.id)
    trigger = EventTrigger(expect={f"prefect.flow-run.{state}" for state in NOT_CLEAN},
                           match_related={"prefect.resource.id": f"prefect.deployment.{deployment.id}"},
                           posture="Reactive", threshold=1)
    action = SendNotification(block_document_id=block_id, subject="pix-livret : exécution de nuit à vérifier",
                              body=BODY)
    return Automation(name=AUTOMATION, description="Alerte quand la nuit ne finit pas proprement (sans nom d'élève).",
                      trigger=trigger, actions=[action]).create()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webhook-url", required=True, help="where to post (Mattermost, Rocket.Chat, Teams, …)")
    parser.add_argument("--allow-private-urls", action="store_true", help="a webhook on the local network")
    arguments = parser.parse_args(argv)
    automation = install(arguments.webhook_url, allow_private_urls=arguments.allow_private_urls)
    print(f"Automatisation « {automation.name} » créée ({automation.id}).")


if __name__ == "__main__":
    main(sys.argv[1:])
