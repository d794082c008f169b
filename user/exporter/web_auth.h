/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The web config's basic_auth_users: a user's password checked against its bcrypt hash with
 * libxcrypt, the result compared in constant time. A user and password that passed are
 * remembered (as a SHA-256 digest) so that a scraper's every request does not pay bcrypt's cost.
 */
#ifndef MR_WEB_AUTH_H
#define MR_WEB_AUTH_H

#include <stdbool.h>
#include "web_config.h"

struct web_auth;

/* For c's users, which must outlive it; NULL if out of memory. */
struct web_auth *web_auth_new(const struct web_config *c);
void web_auth_free(struct web_auth *a);
/*
 * Is it a configured user with its password? An unknown user costs a bcrypt check too, so that
 * timing does not tell which users exist.
 */
bool web_auth_check(struct web_auth *a, const char *user, const char *password);

#endif
