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
/// tree is the same at every node); operation logs are per node, so their stream is the
/// anchoring member.
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
    /// @dev No checkpoint number `index` in the stream (it holds `count`).
    error AuditAnchorUnknownCheckpoint(uint8 kind, address stream, uint256 index, uint256 count);

    /// @param consortiumContract the Consortium whose members may anchor
    constructor(IConsortium consortiumContract) {
        _consortium = consortiumContract;
    }

    /// @notice Anchor the certificate tree's checkpoint: `size` leaves with root `root`. Only
    /// a member may call; `size` must exceed the latest anchored size.
    /// @return index the checkpoint's number in the certificate tree's stream
    function anchorCertificateTree(uint64 size, bytes32 root) external returns (uint256 index) {
        return _anchor(KIND_CERTIFICATE_TREE, address(0), size, root);
    }

    /// @notice Anchor the caller's operation log: `size` rows whose last row hashes to `head`.
    /// Only a member may call; the stream is the caller's own, and `size` must exceed the
    /// latest size anchored in it.
    /// @return index the checkpoint's number in the caller's operation-log stream
    function anchorOperationLog(uint64 size, bytes32 head) external returns (uint256 index) {
        return _anchor(KIND_OPERATION_LOG, msg.sender, size, head);
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

    function _anchor(uint8 kind, address stream, uint64 size, bytes32 root)
        private
        returns (uint256 index)
    {
        if (_consortium.memberIndexOf(msg.sender) == 0) {
            revert AuditAnchorUnauthorizedAccount(msg.sender);
        }
        if (root == bytes32(0)) revert AuditAnchorEmptyRoot();
        Checkpoint[] storage list = _checkpoints[kind][stream];
        index = list.length;
        if (index > 0 && size <= list[index - 1].size) {
            revert AuditAnchorSizeNotIncreasing(kind, stream, list[index - 1].size, size);
        }
        if (index == 0 && size == 0) revert AuditAnchorSizeNotIncreasing(kind, stream, 0, 0);
        list.push(Checkpoint(size, root, uint64(block.timestamp), msg.sender));
        emit CheckpointAnchored(kind, stream, index, size, root, uint64(block.timestamp), msg.sender);
    }

    function _requireKind(uint8 kind) private pure {
        if (kind != KIND_CERTIFICATE_TREE && kind != KIND_OPERATION_LOG) {
            revert AuditAnchorInvalidKind(kind);
        }
    }
}
