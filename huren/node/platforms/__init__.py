"""The node's platform directory (选择平台, manual 2.3): where each trading platform is, which
one is the alliance's (长三角 CA 互认平台, offered everywhere), the nearest active platform to
a phone's location, and each account's chosen platform. ``geo`` is pure; ``service`` reads
the index's platforms with the node-side profiles. See docs/platforms.md."""
