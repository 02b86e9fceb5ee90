"""`PulumiAutomation`: the real `Automation`, `pulumi.automation` over the program in a work dir
(it needs the `pulumi` CLI at run time). Every failure it raises went through `errors.translate`."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from preview.automation.diy import SCHEMES, DiyBackend
from preview.automation.errors import translate
from preview.automation.model import LockInfo, Output, Program, Secret, StackSummary, parse_time

StackFactory = Callable[[str, bool], Any]  # (stack name, create if missing) -> auto.Stack


class PulumiAutomation:
    """The real adapter: `pulumi.automation` over the program in `work_dir`.

    `program` replaces the work-dir program with an inline one (the real engine runs inline
    programs without the Python language host: the tests use it); everything else is the same.
    `secrets_provider` is passed when a stack is created (`awskms://...`; empty: passphrase).
    """

    def __init__(
        self,
        *,
        work_dir: Path,
        project: str,
        backend_url: str,
        env: Mapping[str, str] | None = None,
        stack_factory: StackFactory | None = None,
        program: Program | None = None,
        secrets_provider: str = "",
        pulumi_command: Any = None,
    ) -> None:
        self.work_dir = work_dir
        self.project = project
        self.backend_url = backend_url
        self.env = {**(env or {}), **({"PULUMI_BACKEND_URL": backend_url} if backend_url else {})}
        self.program = program
        self.secrets_provider = secrets_provider
        self.pulumi_command = pulumi_command
        self._stack_factory = stack_factory or self._default_stack

    def _opts(self) -> Any:
        from pulumi import automation as auto

        return auto.LocalWorkspaceOptions(
            work_dir=None if self.program else str(self.work_dir),
            env_vars=dict(self.env),
            secrets_provider=self.secrets_provider or None,
            pulumi_command=self.pulumi_command,
            project_settings=(
                auto.ProjectSettings(name=self.project, runtime="python") if self.program else None
            ),
        )

    def _default_stack(self, name: str, create: bool) -> Any:
        from pulumi import automation as auto

        if self.program is not None:
            kw: dict[str, Any] = {
                "project_name": self.project,
                "program": self.program,
                "opts": self._opts(),
            }
            return (auto.create_or_select_stack if create else auto.select_stack)(name, **kw)
        if create:
            return auto.create_or_select_stack(name, work_dir=str(self.work_dir), opts=self._opts())
        return auto.select_stack(name, work_dir=str(self.work_dir), opts=self._opts())

    def _call(self, stack: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as exc:
            translated = translate(exc, stack)
            if translated is exc:
                raise
            raise translated from exc

    def list_stacks(self) -> list[StackSummary]:
        from pulumi import automation as auto

        diy = self._diy()
        if diy is not None:
            listed: list[StackSummary] = self._call("*", diy.list_stacks)
            return listed

        def run() -> list[StackSummary]:
            ws = auto.LocalWorkspace(**self._ws_kwargs())
            return [
                StackSummary(
                    name=s.name.rsplit("/", 1)[-1],
                    last_update=parse_time(s.last_update),
                    update_in_progress=bool(s.update_in_progress),
                    resource_count=s.resource_count,
                )
                for s in ws.list_stacks()
            ]

        result: list[StackSummary] = self._call("*", run)
        return result

    def _ws_kwargs(self) -> dict[str, Any]:
        opts = self._opts()
        return {
            "work_dir": opts.work_dir,
            "env_vars": opts.env_vars,
            "pulumi_command": opts.pulumi_command,
            "project_settings": opts.project_settings,
        }

    def up(self, stack: str, config: Mapping[str, Any], on_output: Output) -> dict[str, Any]:
        from pulumi import automation as auto

        def run() -> dict[str, Any]:
            st = self._stack_factory(stack, True)
            _restore_stack_settings(st, stack)
            st.set_all_config(
                {
                    k: auto.ConfigValue(value=v.value, secret=True)
                    if isinstance(v, Secret)
                    else auto.ConfigValue(value=config_text(v))
                    for k, v in config.items()
                }
            )
            result = st.up(on_output=on_output, color="never")
            return {k: v.value for k, v in result.outputs.items()}

        result: dict[str, Any] = self._call(stack, run)
        return result

    def refresh(self, stack: str, on_output: Output) -> None:
        self._call(stack, lambda: self._stack_factory(stack, False).refresh(on_output=on_output))

    def destroy(self, stack: str, on_output: Output) -> None:
        # Remove happens separately so a failed remove never hides a successful destroy.
        self._call(stack, lambda: self._stack_factory(stack, False).destroy(on_output=on_output))

    def remove(self, stack: str) -> None:
        self._call(stack, lambda: self._stack_factory(stack, False).workspace.remove_stack(stack))

    def outputs(self, stack: str) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            return {k: v.value for k, v in self._stack_factory(stack, False).outputs().items()}

        result: dict[str, Any] = self._call(stack, run)
        return result

    def get_config(self, stack: str) -> dict[str, str]:
        def run() -> dict[str, str]:
            cfg = self._stack_factory(stack, False).get_all_config()
            return {k.split(":", 1)[-1]: str(v.value) for k, v in cfg.items()}

        result: dict[str, str] = self._call(stack, run)
        return result

    # --- locks (DIY backends; on Pulumi Cloud the service expires dead updates itself) -------

    def _diy(self) -> DiyBackend | None:
        if urlparse(self.backend_url).scheme not in SCHEMES:
            return None
        return DiyBackend(self.backend_url, self.project, self.env)

    def lock(self, stack: str) -> LockInfo | None:
        diy = self._diy()
        return diy.lock(stack) if diy is not None else None

    def break_lock(self, stack: str, lock: LockInfo) -> None:
        diy = self._diy()
        if diy is not None:
            diy.break_lock(lock)


def _restore_stack_settings(st: Any, stack: str) -> None:
    """Give a fresh workspace the existing stack's own secrets provider and key.

    A DIY backend keeps them in the checkpoint, but the CLI reads them from Pulumi.<stack>.yaml,
    which a fresh CI runner does not have: without this, setting a secret there silently
    switches the stack to a new passphrase key (and an awskms stack to the passphrase provider).
    A stack created just now has its file already (`stack init` writes it).
    """
    from pulumi import automation as auto

    work_dir = getattr(getattr(st, "workspace", None), "work_dir", None)
    if not work_dir or any(
        (Path(work_dir) / f"Pulumi.{stack}.{ext}").exists() for ext in ("yaml", "yml", "json")
    ):
        return
    deployment = st.export_stack().deployment or {}
    provider = deployment.get("secrets_providers") or {}
    state = provider.get("state") or {}
    if provider.get("type") == "passphrase" and state.get("salt"):
        settings = auto.StackSettings(encryption_salt=state["salt"])
    elif provider.get("type") == "cloud" and state.get("url"):
        settings = auto.StackSettings(
            secrets_provider=state["url"], encrypted_key=state.get("encryptedkey")
        )
    else:
        return
    st.workspace.save_stack_settings(stack, settings)


def config_text(value: Any) -> str:
    """Pulumi stores config as strings; structured values are JSON-encoded."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
