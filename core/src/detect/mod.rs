//! Body-part detection pre- and post-processing (NudeNet 3.4 compatible).
