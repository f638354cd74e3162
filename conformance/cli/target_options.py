"""``rtconform run``'s options of the Docker and plugin target kinds.

``--docker-image IMAGE [--docker-port 9001] [--docker-arg WORD ...]`` and
``--target-kind KIND [--target-param KEY=VALUE ...]``. :func:`target_fields` turns them into
:class:`~conformance.targets.base.TargetSpec` keyword arguments.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

__all__ = ["add_target_options", "target_fields"]


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a port number, not {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 1 and 65535, not {text!r}")
    return value


def add_target_options(p: argparse.ArgumentParser) -> None:
    """Add the Docker and plugin target options to the ``run`` parser."""
    p.add_argument("--docker-image", default=os.environ.get("RTCONFORM_DOCKER_IMAGE") or None,
                   metavar="IMAGE",
                   help="start this local image as the target: a container with --docker-port published "
                        "on 127.0.0.1, stopped and removed after the run (default: $RTCONFORM_DOCKER_IMAGE)")
    p.add_argument("--docker-port", type=_port, default=9001, metavar="PORT",
                   help="the port the server listens on inside the container (9001)")
    p.add_argument("--docker-arg", action="append", default=[], metavar="WORD",
                   help="a word of the container's command, replacing the image's CMD; repeatable. "
                        "Write --docker-arg=--flag for words that start with '-'")
    p.add_argument("--target-kind", default=None, metavar="KIND",
                   help="a target kind from a plugin (entry point group rtconform.targets)")
    p.add_argument("--target-param", action="append", default=[], metavar="KEY=VALUE",
                   help="a parameter for --target-kind; repeatable")


def _param(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise ValueError(f"--target-param must be KEY=VALUE, not {text!r}")
    return key, value


def target_fields(args: argparse.Namespace) -> dict[str, Any]:
    """TargetSpec keyword arguments from the parsed options.

    Raises:
        ValueError: a bad combination or value (the CLI shows it as a one-line usage error).
    """
    if args.docker_image and args.cmd:
        raise ValueError(f"--docker-image {args.docker_image!r} and --cmd cannot be used together")
    if args.target_kind and (args.docker_image or args.cmd):
        raise ValueError(f"--target-kind {args.target_kind!r} cannot be used with --docker-image or --cmd")
    if args.docker_arg and not args.docker_image:
        raise ValueError("--docker-arg needs --docker-image")
    if args.target_param and not args.target_kind:
        raise ValueError("--target-param needs --target-kind")
    return {"docker_image": args.docker_image, "docker_port": args.docker_port,
            "docker_args": tuple(args.docker_arg), "plugin_kind": args.target_kind,
            "params": tuple(_param(p) for p in args.target_param)}
