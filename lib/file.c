/*
 * file.c - files that must survive a crash: atomic replacement, the lock
 * that keeps two runs off one file, and the removal of what a killed run
 * left behind.
 *
 * Every state, spool and metrics file of feat is replaced, never edited:
 * the new content goes to PATH.tmp.<pid> beside it, is fsynced, renamed
 * over PATH, and the directory is fsynced so that the rename itself is on
 * disk.  A crash at any point leaves the old file or the new one, never a
 * mix; what it can leave is a PATH.tmp.<pid> file, which the next run
 * removes once it holds the lock (no other writer can own it then).
 *
 * The lock is flock(2) on a separate PATH.lock file, never on PATH itself:
 * PATH is replaced by rename, and a lock on the old inode would let a
 * second run in as soon as the first renames.
 */
#include "feat-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The directory part of path ("." when there is none), in buf. */
static void
dir_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(buf, len, ".");
	else if (slash == path)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s", (int)(slash - path), path);
}

int
ft_fsync_dir(const char *path, char *err, size_t errlen)
{
	char dir[4096];
	int fd;

	dir_of(path, dir, sizeof dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0 || fsync(fd) != 0) {
		/* EINVAL: a file system that cannot sync directories. */
		int e = errno;

		if (fd >= 0)
			close(fd);
		if (e == EINVAL)
			return 0;
		snprintf(err, errlen, "cannot sync directory '%s': %s", dir,
		    strerror(e));
		return -1;
	}
	close(fd);
	return 0;
}

/* write(2) all of buf, through signals. */
int
ft_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
ft_write_atomic(const char *path, const void *data, size_t len, char *err,
    size_t errlen)
{
	char tmp[4096];
	int fd, e;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path,
	    (long)getpid()) >= sizeof tmp) {
		snprintf(err, errlen, "cannot write '%s': name too long", path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "cannot write '%s': %s", tmp,
		    strerror(errno));
		return -1;
	}
	if (ft_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		e = errno;
		close(fd);
		unlink(tmp);
		snprintf(err, errlen, "cannot write '%s': %s", tmp,
		    strerror(e));
		return -1;
	}
	if (close(fd) != 0) {
		e = errno;
		unlink(tmp);
		snprintf(err, errlen, "cannot write '%s': %s", tmp,
		    strerror(e));
		return -1;
	}
	if (rename(tmp, path) != 0) {
		e = errno;
		unlink(tmp);
		snprintf(err, errlen, "cannot rename '%s' to '%s': %s", tmp,
		    path, strerror(e));
		return -1;
	}
	return ft_fsync_dir(path, err, errlen);
}

int
ft_write_file(const char *path, const void *data, size_t len, char *err,
    size_t errlen)
{
	char *real = NULL;
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		/* Replace what the link names, and keep the link. */
		if ((real = realpath(path, NULL)) != NULL &&
		    stat(real, &st) == 0 && S_ISREG(st.st_mode)) {
			rc = ft_write_atomic(real, data, len, err, errlen);
			free(real);
			return rc;
		}
		free(real);
		if (stat(path, &st) != 0) {	/* a dangling link */
			snprintf(err, errlen, "cannot write '%s': %s", path,
			    strerror(errno));
			return -1;
		}
	} else if (lstat(path, &st) != 0 || S_ISREG(st.st_mode))
		return ft_write_atomic(path, data, len, err, errlen);
	/* A device, a FIFO: written through, as a shell would. */
	if ((fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)) < 0 ||
	    ft_write_all(fd, data, len) != 0) {
		snprintf(err, errlen, "cannot write '%s': %s", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (close(fd) != 0) {
		snprintf(err, errlen, "cannot write '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
ft_remove_stale_tmp(const char *path)
{
	char dir[4096], prefix[1024];
	const char *base = strrchr(path, '/');
	size_t plen;
	struct dirent *de;
	DIR *d;
	int removed = 0;

	base = base ? base + 1 : path;
	if ((size_t)snprintf(prefix, sizeof prefix, "%s.tmp.", base) >=
	    sizeof prefix)
		return 0;
	plen = strlen(prefix);
	dir_of(path, dir, sizeof dir);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		const char *p = de->d_name + plen;
		char full[8192];

		if (strncmp(de->d_name, prefix, plen) != 0 || *p == '\0')
			continue;
		/* Only PATH.tmp.<digits>: what ft_write_atomic makes. */
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p != '\0')
			continue;
		if ((size_t)snprintf(full, sizeof full, "%s/%s", dir,
		    de->d_name) < sizeof full && unlink(full) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}

int
ft_lock_file(const char *lock, const char *path,
    const struct feat_lock_wait *w, char *err, size_t errlen)
{
	int64_t timeout_ns = w ? w->timeout : 0;
	const volatile sig_atomic_t *stop = w ? w->stop : NULL;
	char dur[32];
	struct timespec start, now;
	int fd, said = 0;

	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open lock file '%s': %s", lock,
		    strerror(errno));
		return FT_LOCK_UNUSABLE;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			snprintf(err, errlen, "cannot lock '%s': %s", lock,
			    strerror(errno));
			close(fd);
			return FT_LOCK_UNUSABLE;
		}
		if (stop && *stop) {
			snprintf(err, errlen, "interrupted while waiting for "
			    "the lock '%s'", lock);
			close(fd);
			return FT_LOCK_STOPPED;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * FEAT_NS_PER_S +
		    (now.tv_nsec - start.tv_nsec) >= timeout_ns) {
			feat_format_duration(timeout_ns, dur, sizeof dur);
			snprintf(err, errlen, "'%s' is in use by another run: "
			    "'%s' still locked after %s", path, lock, dur);
			close(fd);
			return FT_LOCK_TIMEOUT;
		}
		if (!said && w && w->waiting) {
			w->waiting(w->ctx, lock);
			said = 1;
		}
		{
			struct timespec ts = { 0, 50 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
}

int
ft_lock_open(const char *path, const struct feat_lock_wait *w, char *err,
    size_t errlen)
{
	char lock[4096];

	if ((size_t)snprintf(lock, sizeof lock, "%s.lock", path) >=
	    sizeof lock) {
		snprintf(err, errlen, "cannot lock '%s': name too long", path);
		return FT_LOCK_UNUSABLE;
	}
	return ft_lock_file(lock, path, w, err, errlen);
}
