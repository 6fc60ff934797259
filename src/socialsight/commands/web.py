"""``socialsight serve`` (the web dashboard) and ``socialsight user`` (its accounts)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from socialsight.cli import DataOption, JsonOption, app
from socialsight.config import require_initialised, resolve_data_dir
from socialsight.errors import InputError
from socialsight.render import print_json, safe, stderr, stdout, table

user_app = typer.Typer(help="Dashboard accounts: add, list, remove.", no_args_is_help=True)
app.add_typer(user_app, name="user")

RoleOption = Annotated[
    str, typer.Option("--role", help="viewer (aggregates), analyst (+ what-if, exports), admin.")
]


@app.command()
def serve(
    data: DataOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8080,
) -> None:
    """Serve the web dashboard and its JSON API (/api/v1) with Uvicorn.

    The dashboard reads the store while an ingest may be running and shows new data once the
    ingest commits. Add an account first with `socialsight user add`. Put it behind a TLS
    reverse proxy before listening anywhere but on 127.0.0.1.

    Example: socialsight serve --data /srv/socialsight --port 8080
    """
    import threading

    import uvicorn

    from socialsight.web.app import create_app, warm_up
    from socialsight.web.users import UserStore

    data_dir = resolve_data_dir(data)
    require_initialised(data_dir)
    application = create_app(data_dir)
    if not UserStore(data_dir).accounts():
        stderr().print(
            "warning: no dashboard account yet; add one with "
            f"`socialsight user add NAME --role admin --data {data_dir}`"
        )
    threading.Thread(target=warm_up, args=(application,), daemon=True).start()
    stdout().print(f"socialsight dashboard on http://{host}:{port}/ (Ctrl+C to stop)")
    uvicorn.run(application, host=host, port=port, log_level="info", server_header=False)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InputError("no password on standard input")
        return password
    if not sys.stdin.isatty():
        raise InputError("no terminal to ask for a password; use --password-stdin")
    first: str = typer.prompt("Password", hide_input=True)
    second: str = typer.prompt("Repeat the password", hide_input=True)
    if first != second:
        raise InputError("the two passwords differ")
    return first


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Account name (letters, digits, . _ @ -).")],
    role: RoleOption = "viewer",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    data: DataOption = None,
    json_out: JsonOption = False,
) -> None:
    """Add a dashboard account; the password is asked for, or read with --password-stdin.

    Passwords are stored as argon2 hashes in web-users.sqlite (mode 0600) in the data
    directory; they are never accepted on the command line (shell history, process list).

    Example: printf '%s\\n' "$PASS" | socialsight user add ada --role analyst --password-stdin
    """
    from socialsight.web.users import UserStore, check_password, normalise_name, role_rank

    data_dir = resolve_data_dir(data)
    require_initialised(data_dir)
    normalise_name(name)
    role_rank(role)
    password = check_password(_read_password(password_stdin))
    user = UserStore(data_dir).add(name, role, password)
    if json_out:
        print_json({"name": user.name, "role": user.role, "created": user.created})
        return
    stdout().print(f"Added {user.name} with role {user.role}.")


@user_app.command("list")
def user_list(data: DataOption = None, json_out: JsonOption = False) -> None:
    """List the dashboard accounts and their roles.

    Example: socialsight user list --json
    """
    from socialsight.web.users import UserStore

    data_dir = resolve_data_dir(data)
    require_initialised(data_dir)
    users = UserStore(data_dir).accounts()
    if json_out:
        print_json([{"name": u.name, "role": u.role, "created": u.created} for u in users])
        return
    table(
        "Dashboard accounts",
        ["name", "role", "created"],
        [[safe(u.name), safe(u.role), safe(u.created)] for u in users],
        caption=f"{len(users)} account{'s' if len(users) != 1 else ''}",
    )


@user_app.command("remove")
def user_remove(
    name: Annotated[str, typer.Argument(help="Account to remove.")],
    data: DataOption = None,
    json_out: JsonOption = False,
) -> None:
    """Remove a dashboard account; its open sessions end at their next request.

    Example: socialsight user remove ada
    """
    from socialsight.web.users import UserStore, normalise_name

    data_dir = resolve_data_dir(data)
    require_initialised(data_dir)
    UserStore(data_dir).remove(name)
    if json_out:
        print_json({"removed": normalise_name(name)})
        return
    stdout().print(f"Removed {normalise_name(name)}.")
