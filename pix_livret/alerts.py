"""`pix-livret alerts`: the nightly run's alert, a Prefect automation that posts to a webhook when a nightly run does
not end clean.

Creates (or replaces) the webhook block "pix-livret-alertes" and the automation "pix-livret : nuit à vérifier" on the
server of PREFECT_API_URL, triggered by the nightly deployment's flow runs that end Failed (input set aside,
establishments not loaded, attestations in failure: the message says which) or Crashed. The message carries the run's
name and its state message (counts only: pix-livret's state messages never name a student). Then a test message goes
through the block at once: a webhook that refuses it is known now, not on the first bad night.
"""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from transforms.worded import WordedError

BLOCK = "pix-livret-alertes"
AUTOMATION = "pix-livret : nuit à vérifier"
DEPLOYMENT = "nightly-ingest/nightly"
# every non-clean end of a nightly run (flows/nightly_ingest.final_state) is Failed; Crashed is the process's death
NOT_CLEAN = ("Failed", "Crashed")
SUBJECT = "pix-livret : exécution de nuit à vérifier"
BODY = ("Exécution de nuit {{ flow_run.name }} : {{ flow_run.state.name }}.\n"
        "{{ flow_run.state.message }}\nDétail : onglet Artifacts de l'exécution dans l'interface Prefect.")
TEST_SUBJECT = "pix-livret : test de l'alerte"
TEST_BODY = (f"L'automatisation « {AUTOMATION} » est en place : une exécution de nuit qui ne finit pas proprement "
             "sera signalée ici.")


class AlertFailure(WordedError):
    """The alert could not be set up, or its webhook refused the test message: said in French, with what to do."""


def install(webhook_url: str) -> str:
    """The block and the automation, replacing earlier ones of the same names, then the test message through the
    block; returns the automation's name. A webhook on a private address (the school's own Mattermost, 10.x,
    192.168.x, 127.x) is allowed because it is private, a public one keeps Prefect's guard against being redirected
    to a private one."""
    from prefect.automations import Automation, EventTrigger
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.events.actions import SendNotification

    host = _host(webhook_url)
    block = CustomWebhookNotificationBlock(name=BLOCK, url=webhook_url, method="POST",
                                           json_data={"text": "{{subject}}\n{{body}}"},
                                           allow_private_urls=is_private(host))
    deployment_id = _replace(block)
    trigger = EventTrigger(expect={f"prefect.flow-run.{state}" for state in NOT_CLEAN},
                           match_related={"prefect.resource.id": f"prefect.deployment.{deployment_id}"},
                           posture="Reactive", threshold=1)
    action = SendNotification(block_document_id=block._block_document_id, subject=SUBJECT, body=BODY)
    automation = Automation(name=AUTOMATION, description="Alerte quand la nuit ne finit pas proprement (sans nom "
                            "d'élève).", trigger=trigger, actions=[action]).create()
    _send_test(block, host)
    return automation.name


def is_private(host: str) -> bool:
    """True when HOST resolves to a private address (RFC 1918, loopback, link-local…), where Prefect's notification
    blocks refuse to post unless told to."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)}
    except socket.gaierror:
        raise AlertFailure(f"L'adresse du webhook est introuvable ({host} : nom inconnu) : vérifiez --webhook-url.")
    return any(ipaddress.ip_address(address.split("%")[0]).is_private for address in addresses)


def _host(webhook_url: str) -> str:
    """The URL's host; the URL itself is never said (a webhook's path is often its secret)."""
    parts = urlsplit(webhook_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AlertFailure("--webhook-url doit être une adresse http:// ou https:// (celle que donne le webhook "
                           "entrant de Mattermost, Rocket.Chat, Teams…).")
    return parts.hostname


def _replace(block) -> str:
    """Saves BLOCK over the earlier one and deletes the earlier automation; returns the nightly deployment's id."""
    import httpx
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    try:
        with get_client(sync_client=True) as client:
            try:
                deployment = client.read_deployment_by_name(DEPLOYMENT)
            except ObjectNotFound:
                raise AlertFailure(f"Le déploiement {DEPLOYMENT} est introuvable sur ce serveur : lancez d'abord "
                                   "pix-livret serve (ou prefect deploy), puis refaites pix-livret alerts.") from None
            for existing in client.read_automations_by_name(AUTOMATION):
                client.delete_automation(existing.id)
        block.save(BLOCK, overwrite=True)
    except httpx.HTTPStatusError as error:
        if error.response.status_code == 401:
            raise AlertFailure("Le serveur Prefect refuse la connexion (401) : réglez PREFECT_API_AUTH_STRING "
                               "(utilisateur:mot de passe du serveur ; pour celui de pix-livret serve, ne la réglez "
                               "pas et donnez à pix-livret alerts le --db de serve, s'il en a reçu un).") from None
        raise
    except httpx.TransportError:
        raise AlertFailure("Le serveur Prefect de PREFECT_API_URL ne répond pas : vérifiez l'adresse et qu'il est "
                           "démarré.") from None
    return str(deployment.id)


def _send_test(block, host: str) -> None:
    import httpx

    try:
        block.notify(TEST_BODY, subject=TEST_SUBJECT)
    except httpx.HTTPStatusError as error:
        refusal = f"a refusé le message de test (HTTP {error.response.status_code})"
    except (httpx.TransportError, ValueError) as error:
        refusal = f"n'a pas reçu le message de test ({type(error).__name__})"
    else:
        return
    raise AlertFailure(f"L'alerte est enregistrée, mais le webhook de {host} {refusal} : vérifiez --webhook-url et "
                       "ce que le webhook accepte, puis refaites pix-livret alerts.")
