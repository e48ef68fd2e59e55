"""`wavedb projects ls`: the projects of every workspace the key can see, or of one."""

from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from wavedb.api import ApiClient
from wavedb.cli.common import (
    ApiKeyOption,
    ApiUrlOption,
    JsonOption,
    WorkspaceOption,
    connect,
    console,
    format_time,
    print_json,
    reported_errors,
)

app = typer.Typer(help="List projects.", no_args_is_help=True)


def chosen_workspaces(client: ApiClient, workspace: str | None) -> list[dict[str, Any]]:
    """The named workspace, or every workspace the key can see."""
    if workspace is not None:
        return [client.resolve_workspace(workspace)]
    return client.workspaces()


def _projects_table(projects: list[dict[str, Any]], workspace_names: dict[str, str]) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column("project", overflow="fold")
    table.add_column("workspace", overflow="fold")
    table.add_column("created", no_wrap=True)
    table.add_column("id", no_wrap=True)
    for project in projects:
        table.add_row(
            f"[bold]{escape(str(project['name']))}[/]",
            escape(workspace_names.get(str(project["workspace_id"]), "")),
            format_time(project.get("created_at"))[:16],
            str(project["id"]),
        )
    return table


@app.command("ls")
def list_projects(
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
    api_url: ApiUrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """The projects of every workspace you belong to (or of --workspace)."""
    with reported_errors(), connect(api_url, api_key) as client:
        workspaces = chosen_workspaces(client, workspace)
        projects = [
            project for found in workspaces for project in client.projects(str(found["id"]))
        ]
    if as_json:
        print_json(projects)
    elif not projects:
        console.print("No projects yet: `wavedb.init(project=...)` creates one.")
    else:
        names = {str(found["id"]): str(found["name"]) for found in workspaces}
        console.print(_projects_table(projects, names))
