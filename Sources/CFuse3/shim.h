#ifndef OPENCLAW_CFUSE3_SHIM_H
#define OPENCLAW_CFUSE3_SHIM_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <sys/mount.h>
#include <sys/statvfs.h>

/* Capability bits as constants Swift can import (the originals are shift macros). */
static const unsigned int openclaw_cap_async_read = FUSE_CAP_ASYNC_READ;
static const unsigned int openclaw_cap_readdirplus = FUSE_CAP_READDIRPLUS;
static const unsigned int openclaw_cap_readdirplus_auto = FUSE_CAP_READDIRPLUS_AUTO;
static const unsigned int openclaw_cap_parallel_dirops = FUSE_CAP_PARALLEL_DIROPS;
static const unsigned int openclaw_cap_auto_inval_data = FUSE_CAP_AUTO_INVAL_DATA;
static const unsigned int openclaw_cap_no_opendir_support = FUSE_CAP_NO_OPENDIR_SUPPORT;
static const unsigned int openclaw_cap_no_open_support = FUSE_CAP_NO_OPEN_SUPPORT;

/* fuse_file_info bit fields. */
static inline void openclaw_fi_set_keep_cache(struct fuse_file_info *fi, int value) { fi->keep_cache = value ? 1 : 0; }
static inline void openclaw_fi_set_cache_readdir(struct fuse_file_info *fi, int value) { fi->cache_readdir = value ? 1 : 0; }
static inline int openclaw_fi_flags(const struct fuse_file_info *fi) { return fi->flags; }

/* fuse_session_loop_mt is a version-selecting macro; Swift cannot call macros. */
static inline int openclaw_session_loop_mt(struct fuse_session *se, unsigned int max_threads) {
    struct fuse_loop_config *config = fuse_loop_cfg_create();
    if (config == NULL) return -1;
    fuse_loop_cfg_set_clone_fd(config, 1);
    fuse_loop_cfg_set_max_threads(config, max_threads);
    fuse_loop_cfg_set_idle_threads(config, max_threads);
    int result = fuse_session_loop_mt(se, config);
    fuse_loop_cfg_destroy(config);
    return result;
}

#endif
