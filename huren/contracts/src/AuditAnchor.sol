// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortium} from "./IConsortium.sol";

/// @title AuditAnchor
/// @notice Checkpoints that the consortium's members anchor for auditors: the size and root of
/// the Merkle tree over the certificate records (RFC 9162), and the length and head hash of a
/// node's operation log (a hash chain). A checkpoint on chain fixes what a tree or log held at
/// that time; any later proof or log is checked against it.
/// @dev Access control is the Consortium's membership (its MEMBER_ROLE, read through
/// `memberIndexOf`): membership changes only through the Consortium's proposals, so a role of
/// its own here would need an admin that the consortium does not have. The anchoring
/// transaction is the checkpoint's signature: it is signed by the member's key, and the
/// contract records the member and the block time. Each (kind, stream) is append-only: sizes
/// strictly grow, so one size never has two roots. The certificate tree has one stream (the
/// tree is the same at every node), and every tree checkpoint after the first must come with
/// an RFC 9162 consistency proof from the previous one, verified here: no member can anchor
/// a tree that rewrites what an earlier checkpoint fixed. Operation logs are per node (their
/// stream is the anchoring member); a hash chain's head has no such proof.
contract AuditAnchor {
    uint8 public constant KIND_CERTIFICATE_TREE = 1;
    uint8 public constant KIND_OPERATION_LOG = 2;

    /// @notice One anchored checkpoint.
    struct Checkpoint {
        uint64 size; // leaves of the tree, or rows of the log
        bytes32 root; // the tree's root, or the log's head hash
        uint64 timestamp; // block time of the anchoring
        address anchoredBy; // the member that anchored it
    }

    IConsortium private immutable _consortium;
    mapping(uint8 kind => mapping(address stream => Checkpoint[])) private _checkpoints;

    /// @notice A checkpoint was anchored as number `index` (0, 1, ...) of its stream.
    event CheckpointAnchored(
        uint8 indexed kind,
        address indexed stream,
        uint256 indexed index,
        uint64 size,
        bytes32 root,
        uint64 timestamp,
        address anchoredBy
    );

    /// @dev `account` is not an active member of the Consortium.
    error AuditAnchorUnauthorizedAccount(address account);
    /// @dev `kind` is neither KIND_CERTIFICATE_TREE nor KIND_OPERATION_LOG.
    error AuditAnchorInvalidKind(uint8 kind);
    /// @dev A checkpoint's root is zero (no tree or log has that root; an empty one is not
    /// worth anchoring).
    error AuditAnchorEmptyRoot();
    /// @dev The stream already holds a checkpoint of `latestSize` and `size` does not exceed it.
    error AuditAnchorSizeNotIncreasing(uint8 kind, address stream, uint64 latestSize, uint64 size);
    /// @dev The consistency proof does not show the tree of `size` leaves extends the latest
    /// checkpoint's tree of `latestSize` leaves.
    error AuditAnchorInconsistentTree(uint64 latestSize, uint64 size);
    /// @dev No checkpoint number `index` in the stream (it holds `count`).
    error AuditAnchorUnknownCheckpoint(uint8 kind, address stream, uint256 index, uint256 count);

    /// @param consortiumContract the Consortium whose members may anchor
    constructor(IConsortium consortiumContract) {
        _consortium = consortiumContract;
    }

    /// @notice Anchor the certificate tree's checkpoint: `size` leaves with root `root`. Only
    /// a member may call; `size` must exceed the latest anchored size, and `consistency` must
    /// be the RFC 9162 consistency proof from the latest checkpoint's tree to this one (empty
    /// for the first checkpoint).
    /// @return index the checkpoint's number in the certificate tree's stream
    function anchorCertificateTree(uint64 size, bytes32 root, bytes32[] calldata consistency)
        external
        returns (uint256 index)
    {
        Checkpoint[] storage list = _checked(KIND_CERTIFICATE_TREE, address(0), size, root);
        if (list.length > 0) {
            Checkpoint storage previous = list[list.length - 1];
            if (!_consistent(previous.size, size, consistency, previous.root, root)) {
                revert AuditAnchorInconsistentTree(previous.size, size);
            }
        } else if (consistency.length != 0) {
            revert AuditAnchorInconsistentTree(0, size);
        }
        return _push(KIND_CERTIFICATE_TREE, address(0), list, size, root);
    }

    /// @notice Anchor the caller's operation log: `size` rows whose last row hashes to `head`.
    /// Only a member may call; the stream is the caller's own, and `size` must exceed the
    /// latest size anchored in it.
    /// @return index the checkpoint's number in the caller's operation-log stream
    function anchorOperationLog(uint64 size, bytes32 head) external returns (uint256 index) {
        Checkpoint[] storage list = _checked(KIND_OPERATION_LOG, msg.sender, size, head);
        return _push(KIND_OPERATION_LOG, msg.sender, list, size, head);
    }

    /// @notice Number of checkpoints in stream `stream` of `kind` (the certificate tree's
    /// stream is the zero address; an operation log's is the member that anchors it).
    function checkpointCount(uint8 kind, address stream) external view returns (uint256) {
        _requireKind(kind);
        return _checkpoints[kind][stream].length;
    }

    /// @notice Checkpoint number `index` of stream `stream` of `kind`; reverts
    /// AuditAnchorUnknownCheckpoint when there is none.
    function checkpoint(uint8 kind, address stream, uint256 index)
        external
        view
        returns (Checkpoint memory)
    {
        _requireKind(kind);
        Checkpoint[] storage list = _checkpoints[kind][stream];
        if (index >= list.length) {
            revert AuditAnchorUnknownCheckpoint(kind, stream, index, list.length);
        }
        return list[index];
    }

    /// @notice The latest checkpoint of stream `stream` of `kind` and its number; reverts
    /// AuditAnchorUnknownCheckpoint when the stream is empty.
    function latestCheckpoint(uint8 kind, address stream)
        external
        view
        returns (uint256 index, Checkpoint memory latest)
    {
        _requireKind(kind);
        Checkpoint[] storage list = _checkpoints[kind][stream];
        if (list.length == 0) revert AuditAnchorUnknownCheckpoint(kind, stream, 0, 0);
        index = list.length - 1;
        latest = list[index];
    }

    /// @notice The Consortium whose members may anchor.
    function consortium() external view returns (IConsortium) {
        return _consortium;
    }

    /// @dev The caller is a member, the root is not zero and the size grows; the stream.
    function _checked(uint8 kind, address stream, uint64 size, bytes32 root)
        private
        view
        returns (Checkpoint[] storage list)
    {
        if (_consortium.memberIndexOf(msg.sender) == 0) {
            revert AuditAnchorUnauthorizedAccount(msg.sender);
        }
        if (root == bytes32(0)) revert AuditAnchorEmptyRoot();
        list = _checkpoints[kind][stream];
        uint256 n = list.length;
        uint64 latestSize = n == 0 ? 0 : list[n - 1].size;
        if (size <= latestSize) revert AuditAnchorSizeNotIncreasing(kind, stream, latestSize, size);
    }

    function _push(uint8 kind, address stream, Checkpoint[] storage list, uint64 size, bytes32 root)
        private
        returns (uint256 index)
    {
        index = list.length;
        list.push(Checkpoint(size, root, uint64(block.timestamp), msg.sender));
        emit CheckpointAnchored(kind, stream, index, size, root, uint64(block.timestamp), msg.sender);
    }

    /// @dev RFC 9162 section 2.1.4.2: whether `proof` shows the tree of `size2` leaves with
    /// `root2` extends the tree of `size1` leaves with `root1` (0 < size1 < size2).
    function _consistent(
        uint256 size1,
        uint256 size2,
        bytes32[] calldata proof,
        bytes32 root1,
        bytes32 root2
    ) private pure returns (bool) {
        if (proof.length == 0) return false;
        uint256 i;
        bytes32 fr;
        if (size1 & (size1 - 1) == 0) {
            fr = root1; // a perfect first tree is its own first node
        } else {
            fr = proof[0];
            i = 1;
        }
        bytes32 sr = fr;
        uint256 fn = size1 - 1;
        uint256 sn = size2 - 1;
        while (fn & 1 == 1) {
            fn >>= 1;
            sn >>= 1;
        }
        for (; i < proof.length; ++i) {
            if (sn == 0) return false;
            bytes32 c = proof[i];
            if (fn & 1 == 1 || fn == sn) {
                fr = _node(c, fr);
                sr = _node(c, sr);
                while (fn & 1 == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                sr = _node(sr, c);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && fr == root1 && sr == root2;
    }

    function _node(bytes32 left, bytes32 right) private pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x01), left, right));
    }

    function _requireKind(uint8 kind) private pure {
        if (kind != KIND_CERTIFICATE_TREE && kind != KIND_OPERATION_LOG) {
            revert AuditAnchorInvalidKind(kind);
        }
    }
}
