// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "nl.h"

void nl_init(struct ks_nlmsg *m, uint16_t type, uint16_t flags, const void *hdr, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->nh.nlmsg_type = type;
	m->nh.nlmsg_flags = (uint16_t)(flags | NLM_F_REQUEST);
	m->nh.nlmsg_len = (uint32_t)NLMSG_LENGTH(len);
	memcpy(NLMSG_DATA(&m->nh), hdr, len);
}

void nl_attr(struct ks_nlmsg *m, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(m->nh.nlmsg_len);
	struct rtattr *rta = (struct rtattr *)((char *)m + off);

	/* Requests are built from constants and addresses: overflow is a programming error. */
	if (off + RTA_SPACE(len) > sizeof(*m))
		return;
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	m->nh.nlmsg_len = (uint32_t)(off + RTA_ALIGN(rta->rta_len));
}

void nl_attr_u32(struct ks_nlmsg *m, uint16_t type, uint32_t v)
{
	nl_attr(m, type, &v, sizeof(v));
}

void nl_parse(const struct nlmsghdr *nh, size_t hdrlen, const struct rtattr **tb, int max)
{
	const struct rtattr *rta;
	int len;

	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	if (nh->nlmsg_len < NLMSG_LENGTH(hdrlen))
		return;
	rta = (const struct rtattr *)((const char *)NLMSG_DATA(nh) + NLMSG_ALIGN(hdrlen));
	len = (int)(nh->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(hdrlen)));
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type <= max && !tb[rta->rta_type])
			tb[rta->rta_type] = rta;
}

/* Walks one datagram: 1 when the answer is complete, 0 for more, or -errno. */
static int walk(const char *buf, size_t n, uint32_t seq, ks_nl_cb cb, void *arg)
{
	int len = (int)n;

	for (const struct nlmsghdr *nh = (const void *)buf; NLMSG_OK(nh, len);
	     nh = NLMSG_NEXT(nh, len)) {
		if (nh->nlmsg_seq != seq)
			continue;
		if (nh->nlmsg_type == NLMSG_DONE)
			return 1;
		if (nh->nlmsg_type == NLMSG_ERROR) {
			if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
				return -EPROTO;
			int err = ((const struct nlmsgerr *)NLMSG_DATA(nh))->error;

			return err ? err : 1;
		}
		if (cb) {
			int err = cb(nh, arg);

			if (err < 0)
				return err;
		}
	}
	return 0;
}

int nl_talk(struct ks_nlmsg *m, ks_nl_cb cb, void *arg)
{
	static uint32_t seq;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 5 };
	int fd, err = 0, one = 1;
	char *buf;

	buf = malloc(32768);
	if (!buf)
		return -ENOMEM;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	m->nh.nlmsg_flags |= NLM_F_ACK;
	m->nh.nlmsg_seq = ++seq;
	if (sendto(fd, m, m->nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		goto out;
	}
	while (!err) {
		ssize_t n = recv(fd, buf, 32768, 0);

		if (n <= 0) {
			err = n < 0 ? -errno : -EPROTO;
			break;
		}
		err = walk(buf, (size_t)n, m->nh.nlmsg_seq, cb, arg);
	}
	if (err == 1)
		err = 0;
out:
	close(fd);
	free(buf);
	return err;
}
