"""Stands in for dtlpy's ``tests/features/environment.py`` when its behave suite runs against a LocalPlatform.

``scripts/behave_dtlpy.py`` copies this file over the suite's own, which it keeps beside it as
``environment_dtlpy.py``. Every hook of the original still runs (project clean-up, tag clean-ups, skips);
this file adds only what points the suite at the local platform instead of Dataloop's cloud:

- one ``LocalPlatform`` per behave process (thread placement, documents in memory), dtlpy bound to it with
  the platform's user token, under an environment alias that the suite's own "set according to git
  branch" step accepts as current (so it never switches to a cloud environment);
- a feature tagged ``@bot.create`` gets the platform's bot as its ``bot_user`` before it starts: since
  dtlpy 1.124 ``project.bots.create`` returns None (the backend manages bots), and the suite's step takes an
  existing ``feature.bot_user`` instead of creating one;
- a bound on every scenario (``FAAS_BEHAVE_SCENARIO_TIMEOUT`` seconds, 240 by default): past it the running
  step is interrupted with ``ScenarioTimeout``, again every 5 s while something keeps catching it.
"""

import importlib.util
import logging
import os
import signal

from pytest_faas import LocalPlatform
from pytest_faas.backend.faas.services import BOT

ALIAS = "faaslocal"  # no dash: the suite's step keeps what precedes one (env_from_git_branch)
SCENARIO_TIMEOUT_S = float(os.environ.get("FAAS_BEHAVE_SCENARIO_TIMEOUT", "240"))

os.environ.setdefault("DLP_ENV_NAME", ALIAS)
os.environ.setdefault("ALLOW_RUN_TESTS_LOCALLY_WITH_USER", "true")  # the local user is not a cloud test user
os.environ.setdefault("AVOID_TESTRAIL", "true")
os.environ.setdefault("IGNORE_API_CALLS", "true")

_spec = importlib.util.spec_from_file_location(
    "environment_dtlpy", os.path.join(os.path.dirname(os.path.abspath(__file__)), "environment_dtlpy.py"))
original = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(original)


class ScenarioTimeout(Exception):
    """The scenario ran past FAAS_BEHAVE_SCENARIO_TIMEOUT."""


def _on_alarm(signum, frame):
    signal.setitimer(signal.ITIMER_REAL, 5.0)  # a retry loop that swallows it is interrupted again
    raise ScenarioTimeout(f"scenario ran past {SCENARIO_TIMEOUT_S:.0f} s (FAAS_BEHAVE_SCENARIO_TIMEOUT)")


def _call(name, *args):
    hook = getattr(original, name, None)
    if hook is not None:
        hook(*args)


def before_all(context):
    platform = LocalPlatform(durable=False, placement="thread").start()
    context.faas_platform = platform
    dl = platform.dl
    dl.client_api.add_environment(platform.url, alias=ALIAS, gate_url=platform.base_url,
                                  url=platform.base_url + "/")
    dl.client_api.setenv(ALIAS)
    dl.client_api.token = platform.token  # the user's token, as a person running the suite would have
    logging.getLogger("pytest_faas").setLevel(logging.WARNING)
    signal.signal(signal.SIGALRM, _on_alarm)
    _call("before_all", context)


def after_all(context):
    signal.setitimer(signal.ITIMER_REAL, 0)
    _call("after_all", context)
    context.faas_platform.close()


def before_feature(context, feature):
    if "bot.create" in feature.tags:
        feature.bot_user = BOT
    _call("before_feature", context, feature)


def after_feature(context, feature):
    try:
        _call("after_feature", context, feature)
    except Exception:  # the original's summary printer relies on reporter internals of its behave version
        logging.exception("after_feature of the original environment failed")


def before_scenario(context, scenario):
    signal.setitimer(signal.ITIMER_REAL, SCENARIO_TIMEOUT_S)
    _call("before_scenario", context, scenario)


def after_scenario(context, scenario):
    signal.setitimer(signal.ITIMER_REAL, 0)
    _call("after_scenario", context, scenario)


def before_step(context, step):
    _call("before_step", context, step)


def after_step(context, step):
    _call("after_step", context, step)


def before_tag(context, tag):
    _call("before_tag", context, tag)


def after_tag(context, tag):
    _call("after_tag", context, tag)
