// SPDX-License-Identifier: GPL-2.0
#include <crypt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <gnutls/crypto.h>
#include "web_auth.h"

#define DIGEST_LEN 32 /* SHA-256 */

struct verified {
	bool set;
	unsigned char digest[DIGEST_LEN];
};

struct web_auth {
	pthread_mutex_t lock;
	const struct web_pair *users;
	size_t n;
	struct verified *verified; /* per user: the last user and password that passed */
};

struct web_auth *web_auth_new(const struct web_config *c)
{
	struct web_auth *a = calloc(1, sizeof(*a));

	if (!a || !(a->verified = calloc(c->n_users + 1, sizeof(*a->verified)))) {
		free(a);
		return NULL;
	}
	pthread_mutex_init(&a->lock, NULL);
	a->users = c->users;
	a->n = c->n_users;
	return a;
}

void web_auth_free(struct web_auth *a)
{
	if (!a)
		return;
	pthread_mutex_destroy(&a->lock);
	explicit_bzero(a->verified, (a->n + 1) * sizeof(*a->verified));
	free(a->verified);
	free(a);
}

/* Every byte looked at, whatever differs: no early exit for timing to show. */
static bool same_bytes(const void *x, const void *y, size_t n)
{
	const volatile unsigned char *a = x, *b = y;
	unsigned char diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= a[i] ^ b[i];
	return !diff;
}

static bool bcrypt_matches(const char *password, const char *hash)
{
	struct crypt_data *data = calloc(1, sizeof(*data)); /* 32 KiB: not on the stack */
	const char *out;
	bool ok;

	if (!data)
		return false;
	out = crypt_rn(password, hash, data, sizeof(*data));
	ok = out && out[0] != '*' && strlen(out) == strlen(hash) &&
	     same_bytes(out, hash, strlen(hash));
	explicit_bzero(data, sizeof(*data));
	free(data);
	return ok;
}

/* SHA-256 of user, NUL, password: what is remembered of credentials that passed. */
static bool digest_of(const char *user, const char *password, unsigned char *out)
{
	gnutls_hash_hd_t h;

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return false;
	gnutls_hash(h, user, strlen(user) + 1);
	gnutls_hash(h, password, strlen(password));
	gnutls_hash_deinit(h, out);
	return true;
}

bool web_auth_check(struct web_auth *a, const char *user, const char *password)
{
	unsigned char digest[DIGEST_LEN];
	bool known, hashed, remembered = false, ok;
	size_t i = 0;

	if (!a->n)
		return false;
	while (i < a->n && strcmp(a->users[i].name, user))
		i++;
	known = i < a->n;
	hashed = known && digest_of(user, password, digest);
	pthread_mutex_lock(&a->lock);
	if (hashed && a->verified[i].set)
		remembered = same_bytes(a->verified[i].digest, digest, DIGEST_LEN);
	pthread_mutex_unlock(&a->lock);
	if (remembered)
		return true;
	/* An unknown user is checked against the first user's hash, then refused. */
	ok = bcrypt_matches(password, a->users[known ? i : 0].value) && known;
	if (ok && hashed) {
		pthread_mutex_lock(&a->lock);
		a->verified[i].set = true;
		memcpy(a->verified[i].digest, digest, DIGEST_LEN);
		pthread_mutex_unlock(&a->lock);
	}
	return ok;
}
