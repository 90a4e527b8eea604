/* SPDX-License-Identifier: GPL-2.0-only */
#pragma once

int cmd_connect(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_disconnect(int argc, char **argv);
int cmd_cleanup(int argc, char **argv);
int cmd_route(int argc, char **argv);
int cmd_domain(int argc, char **argv);
int cmd_app(int argc, char **argv);
int cmd_exec(int argc, char **argv);
