// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl, IAccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {AccessControlEnumerable} from "@openzeppelin/contracts/access/extensions/AccessControlEnumerable.sol";
import {IConsortium} from "./IConsortium.sol";

/// @title Consortium
/// @notice The alliance of regional trading centers: its members, the CA institutions it
/// accredits and the platforms it recognizes certificates at. Every change of those goes
/// through a proposal that a strict majority (or the configured quorum) of the current members
/// passes before it expires; founding members are set at deployment.
/// @dev Membership and CA operators are AccessControl roles. Nobody holds GOVERNANCE_ROLE, the
/// admin of MEMBER_ROLE, so only passed proposals change membership. Each CA's operator role
/// administers itself, so a CA's operators manage their own colleagues.
contract Consortium is AccessControlEnumerable, IConsortium {
    bytes32 public constant MEMBER_ROLE = keccak256("huren.consortium.member");
    bytes32 public constant GOVERNANCE_ROLE = keccak256("huren.consortium.governance");

    uint8 private constant MIN_QUORUM = 50;
    uint8 private constant MAX_QUORUM = 99;
    uint64 private constant MAX_VOTING_PERIOD = 365 days;

    enum ProposalKind {
        AddMember,
        RemoveMember,
        AccreditCa,
        SuspendCa,
        RegisterPlatform,
        RetirePlatform,
        SetQuorum
    }

    /// @dev Expired is not stored: an Open proposal past its expiry reads as Expired.
    enum ProposalStatus {
        None,
        Open,
        Executed,
        Rejected,
        Expired
    }

    struct Member {
        string name;
        uint32 regionCode;
        uint32 index;
        bool active;
    }

    struct Ca {
        string name;
        CaStatus status;
        uint32 index;
        bytes32[] issuerKeyIds;
    }

    struct Platform {
        address center;
        bool active;
        string name;
    }

    struct Proposal {
        ProposalKind kind;
        ProposalStatus status;
        address proposer;
        uint64 createdAt;
        uint64 expiresAt;
        uint32 yes;
        uint32 no;
        bytes payload;
    }

    uint64 private immutable _votingPeriod;
    uint8 private _quorumPercent = MIN_QUORUM;

    mapping(address account => Member) private _members;
    address[] private _memberByIndex; // index i+1 -> account
    mapping(bytes32 caId => Ca) private _cas;
    bytes32[] private _caByIndex; // index i+1 -> caId
    mapping(bytes32 role => bytes32 caId) private _caOfRole;
    mapping(bytes32 keyId => bytes32 caId) private _caOfIssuerKey;
    mapping(bytes32 platformId => Platform) private _platforms;
    bytes32[] private _platformIds;
    Proposal[] private _proposals; // id i+1
    mapping(uint256 id => mapping(address member => uint8 vote)) private _votes; // 1 yes, 2 no

    event MemberAdded(address indexed member, uint32 index, string name, uint32 regionCode);
    event MemberRemoved(address indexed member);
    event CaAccredited(
        bytes32 indexed caId, uint32 index, string name, address[] operators, bytes32[] issuerKeyIds
    );
    event CaSuspended(bytes32 indexed caId);
    event PlatformRegistered(bytes32 indexed platformId, address indexed center, string name);
    event PlatformRetired(bytes32 indexed platformId);
    event QuorumChanged(uint8 previousPercent, uint8 quorumPercent);
    event ProposalCreated(
        uint256 indexed id, ProposalKind kind, address indexed proposer, uint64 expiresAt, bytes payload
    );
    event VoteCast(uint256 indexed id, address indexed voter, bool support, uint32 yes, uint32 no);
    event ProposalExecuted(uint256 indexed id);
    event ProposalRejected(uint256 indexed id);

    error NotAMember(address account);
    error AlreadyAMember(address account);
    error LastMember(address account);
    error ZeroAddress();
    error EmptyName();
    error InvalidRegionCode(uint32 regionCode);
    error InvalidId();
    error InvalidVotingPeriod(uint64 votingPeriod);
    error LengthMismatch(uint256 expected, uint256 actual);
    error InvalidQuorum(uint8 quorumPercent);
    error UnknownProposal(uint256 id);
    error ProposalNotOpen(uint256 id, ProposalStatus status);
    error AlreadyVoted(uint256 id, address voter);
    error CaNotAccredited(bytes32 caId);
    error UnknownCa(bytes32 caId);
    error NoOperators(bytes32 caId);
    error NoIssuerKeys(bytes32 caId);
    error IssuerKeyTaken(bytes32 issuerKeyId, bytes32 caId);
    error LastCaOperator(bytes32 caId, address operator);
    error NotCaOperator(bytes32 caId, address account);
    error UnknownIssuerKey(bytes32 caId, bytes32 issuerKeyId);
    error PlatformAlreadyRegistered(bytes32 platformId);
    error UnknownPlatform(bytes32 platformId);
    error PlatformNotActive(bytes32 platformId);
    error MembershipNotRenounceable();
    error NoFounders();
    error DuplicateIssuerKey(bytes32 issuerKeyId);
    error QuorumNotReached(uint256 id, uint32 yes, uint32 no, uint256 members);

    modifier onlyMember() {
        if (!_members[msg.sender].active) revert NotAMember(msg.sender);
        _;
    }

    /// @param founders the founding centers' accounts
    /// @param names their names
    /// @param regionCodes their six-digit administrative region codes (GB/T 2260)
    /// @param votingPeriodSeconds seconds a proposal stays open (at most 365 days)
    constructor(
        address[] memory founders,
        string[] memory names,
        uint32[] memory regionCodes,
        uint64 votingPeriodSeconds
    ) {
        if (founders.length == 0) revert NoFounders();
        if (names.length != founders.length) revert LengthMismatch(founders.length, names.length);
        if (regionCodes.length != founders.length) {
            revert LengthMismatch(founders.length, regionCodes.length);
        }
        if (votingPeriodSeconds == 0 || votingPeriodSeconds > MAX_VOTING_PERIOD) {
            revert InvalidVotingPeriod(votingPeriodSeconds);
        }
        _votingPeriod = votingPeriodSeconds;
        _setRoleAdmin(MEMBER_ROLE, GOVERNANCE_ROLE);
        for (uint256 i = 0; i < founders.length; ++i) {
            _checkNewMember(founders[i], names[i], regionCodes[i]);
            _addMember(founders[i], names[i], regionCodes[i]);
        }
    }

    // ------------------------------------------------------------------ proposals

    /// @notice Propose admitting `account` as a member center.
    /// @return id the new proposal's id
    function proposeAddMember(address account, string calldata name, uint32 regionCode)
        external
        onlyMember
        returns (uint256 id)
    {
        _checkNewMember(account, name, regionCode);
        return _propose(ProposalKind.AddMember, abi.encode(account, name, regionCode));
    }

    /// @notice Propose removing member `account`; its platforms are retired with it.
    /// @return id the new proposal's id
    function proposeRemoveMember(address account) external onlyMember returns (uint256 id) {
        _checkRemovableMember(account);
        return _propose(ProposalKind.RemoveMember, abi.encode(account));
    }

    /// @notice Propose accrediting CA `caId` (or re-accrediting a suspended one, or replacing
    /// an accredited one's name, operators and issuer keys). The lists are complete: operators
    /// not listed lose the role, which is how the consortium evicts a compromised operator.
    /// @return id the new proposal's id
    function proposeAccreditCa(
        bytes32 caId,
        string calldata name,
        address[] calldata operators,
        bytes32[] calldata issuerKeyIds
    ) external onlyMember returns (uint256 id) {
        _checkAccreditation(caId, name, operators, issuerKeyIds);
        return _propose(ProposalKind.AccreditCa, abi.encode(caId, name, operators, issuerKeyIds));
    }

    /// @notice Propose suspending accredited CA `caId`: it can no longer record issuance and
    /// its certificates are not recognized while it is suspended.
    /// @return id the new proposal's id
    function proposeSuspendCa(bytes32 caId) external onlyMember returns (uint256 id) {
        if (_cas[caId].status != CaStatus.Accredited) revert CaNotAccredited(caId);
        return _propose(ProposalKind.SuspendCa, abi.encode(caId));
    }

    /// @notice Propose registering platform `platformId`, owned by member `center`.
    /// @return id the new proposal's id
    function proposeRegisterPlatform(bytes32 platformId, address center, string calldata name)
        external
        onlyMember
        returns (uint256 id)
    {
        _checkNewPlatform(platformId, center, name);
        return _propose(ProposalKind.RegisterPlatform, abi.encode(platformId, center, name));
    }

    /// @notice Propose retiring active platform `platformId`.
    /// @return id the new proposal's id
    function proposeRetirePlatform(bytes32 platformId) external onlyMember returns (uint256 id) {
        _checkActivePlatform(platformId);
        return _propose(ProposalKind.RetirePlatform, abi.encode(platformId));
    }

    /// @notice Propose a new quorum: a proposal passes when more than `quorumPercent` percent
    /// of the current members voted yes (50 is a strict majority); from 50 to 99.
    /// @return id the new proposal's id
    function proposeSetQuorum(uint8 newQuorumPercent) external onlyMember returns (uint256 id) {
        if (newQuorumPercent < MIN_QUORUM || newQuorumPercent > MAX_QUORUM) {
            revert InvalidQuorum(newQuorumPercent);
        }
        return _propose(ProposalKind.SetQuorum, abi.encode(newQuorumPercent));
    }

    /// @notice Vote on open proposal `id`. Every vote tallies the CURRENT members' votes and
    /// settles the proposal when the tally decides it: executed once more than the quorum of
    /// current members voted yes, rejected once that became impossible. After a departure the
    /// tally may already be decided, and then any vote (even a no) settles it, as `execute` does.
    function vote(uint256 id, bool support) external onlyMember {
        Proposal storage p = _openProposal(id);
        if (_votes[id][msg.sender] != 0) revert AlreadyVoted(id, msg.sender);
        _votes[id][msg.sender] = support ? 1 : 2;
        (uint32 yes, uint32 no) = _store(p, id);
        emit VoteCast(id, msg.sender, support, yes, no);
        _decide(id, p, yes, no);
    }

    /// @notice Settle open proposal `id` without a vote, when membership changes since the last
    /// vote decided it (a member who had not voted left, say); reverts QuorumNotReached if the
    /// current members' votes decide nothing yet.
    function execute(uint256 id) external onlyMember {
        Proposal storage p = _openProposal(id);
        (uint32 yes, uint32 no) = _store(p, id);
        if (!_decide(id, p, yes, no)) {
            revert QuorumNotReached(id, yes, no, getRoleMemberCount(MEMBER_ROLE));
        }
    }

    // ------------------------------------------------------------------ CA self-service

    /// @notice Roles of CA operators; each administers itself (operators add colleagues with
    /// grantRole and remove them with revokeRole).
    function caOperatorRole(bytes32 caId) public pure returns (bytes32) {
        return keccak256(abi.encode("huren.ca.operator", caId));
    }

    /// @notice Members leave only through a proposal; the last operator of a CA cannot leave.
    function renounceRole(bytes32 role, address callerConfirmation)
        public
        override(AccessControl, IAccessControl)
    {
        if (role == MEMBER_ROLE) revert MembershipNotRenounceable();
        super.renounceRole(role, callerConfirmation);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IConsortium
    function issuanceAuthority(bytes32 caId, bytes32 issuerKeyId, address operator)
        external
        view
        returns (uint32 caIndex)
    {
        Ca storage c = _cas[caId];
        if (c.status != CaStatus.Accredited) revert CaNotAccredited(caId);
        if (!hasRole(caOperatorRole(caId), operator)) revert NotCaOperator(caId, operator);
        if (_caOfIssuerKey[issuerKeyId] != caId) revert UnknownIssuerKey(caId, issuerKeyId);
        return c.index;
    }

    /// @inheritdoc IConsortium
    function isCaIndexOperator(uint32 caIndex, address account) external view returns (bool) {
        return hasRole(caOperatorRole(_caByIndex[caIndex - 1]), account);
    }

    /// @inheritdoc IConsortium
    function caAt(uint32 caIndex) external view returns (bytes32 caId, CaStatus status) {
        caId = _caByIndex[caIndex - 1];
        return (caId, _cas[caId].status);
    }

    /// @inheritdoc IConsortium
    function memberIndexOf(address account) external view returns (uint32) {
        Member storage m = _members[account];
        return m.active ? m.index : 0;
    }

    /// @inheritdoc IConsortium
    function memberAt(uint32 index) external view returns (address account, bool active) {
        account = _memberByIndex[index - 1];
        return (account, _members[account].active);
    }

    /// @inheritdoc IConsortium
    function platformState(bytes32 platformId)
        external
        view
        returns (bool registered, bool active, address center, uint32 centerIndex)
    {
        Platform storage p = _platforms[platformId];
        return (p.center != address(0), p.active, p.center, _members[p.center].index);
    }

    /// @notice A member's record (active false once removed; index 0 when never a member).
    function member(address account)
        external
        view
        returns (string memory name, uint32 regionCode, uint32 index, bool active)
    {
        Member storage m = _members[account];
        return (m.name, m.regionCode, m.index, m.active);
    }

    /// @notice The current members' accounts.
    function members() external view returns (address[] memory) {
        return getRoleMembers(MEMBER_ROLE);
    }

    /// @notice A CA institution's record, with its current operators.
    function ca(bytes32 caId)
        external
        view
        returns (
            string memory name,
            CaStatus status,
            uint32 index,
            bytes32[] memory issuerKeyIds,
            address[] memory operators
        )
    {
        Ca storage c = _cas[caId];
        if (c.index == 0) revert UnknownCa(caId);
        return (c.name, c.status, c.index, c.issuerKeyIds, getRoleMembers(caOperatorRole(caId)));
    }

    /// @notice Every CA ever accredited, in accreditation order.
    function caIds() external view returns (bytes32[] memory) {
        return _caByIndex;
    }

    /// @notice The CA an issuer key identifier belongs to (zero when none).
    function caOfIssuerKey(bytes32 issuerKeyId) external view returns (bytes32) {
        return _caOfIssuerKey[issuerKeyId];
    }

    /// @notice A platform's record.
    function platform(bytes32 platformId)
        external
        view
        returns (address center, string memory name, bool active)
    {
        Platform storage p = _platforms[platformId];
        if (p.center == address(0)) revert UnknownPlatform(platformId);
        return (p.center, p.name, p.active);
    }

    /// @notice Every platform ever registered, in registration order.
    function platformIds() external view returns (bytes32[] memory) {
        return _platformIds;
    }

    /// @notice Number of proposals made so far (ids run from 1 to this).
    function proposalCount() external view returns (uint256) {
        return _proposals.length;
    }

    /// @notice A proposal; `status` reads Expired for an open proposal past its expiry, and an
    /// open proposal's `yes` and `no` count the current members' votes.
    function proposal(uint256 id)
        external
        view
        returns (
            ProposalKind kind,
            ProposalStatus status,
            address proposer,
            uint64 createdAt,
            uint64 expiresAt,
            uint32 yes,
            uint32 no,
            bytes memory payload
        )
    {
        Proposal storage p = _proposalStorage(id);
        (yes, no) = p.status == ProposalStatus.Open ? _count(id) : (p.yes, p.no);
        return (p.kind, _statusOf(p), p.proposer, p.createdAt, p.expiresAt, yes, no, p.payload);
    }

    /// @notice How `voter` voted on proposal `id`: 0 not at all, 1 yes, 2 no.
    function voteOf(uint256 id, address voter) external view returns (uint8) {
        return _votes[id][voter];
    }

    /// @notice The percentage of current members whose yes votes a proposal must exceed.
    function quorumPercent() external view returns (uint8) {
        return _quorumPercent;
    }

    /// @notice Seconds a proposal stays open.
    function votingPeriod() external view returns (uint64) {
        return _votingPeriod;
    }

    // ------------------------------------------------------------------ internals

    function _propose(ProposalKind kind, bytes memory payload) private returns (uint256 id) {
        uint64 expiresAt = uint64(block.timestamp) + _votingPeriod;
        _proposals.push(
            Proposal(kind, ProposalStatus.Open, msg.sender, uint64(block.timestamp), expiresAt, 0, 0, payload)
        );
        id = _proposals.length;
        emit ProposalCreated(id, kind, msg.sender, expiresAt, payload);
        _votes[id][msg.sender] = 1;
        Proposal storage p = _proposals[id - 1];
        (uint32 yes, uint32 no) = _store(p, id);
        emit VoteCast(id, msg.sender, true, yes, no);
        _decide(id, p, yes, no);
    }

    /// @dev The yes and no votes of the current members: a removed member's vote stops
    /// counting, a new member may still vote.
    function _count(uint256 id) private view returns (uint32 yes, uint32 no) {
        address[] memory current = getRoleMembers(MEMBER_ROLE);
        for (uint256 i = 0; i < current.length; ++i) {
            uint8 v = _votes[id][current[i]];
            if (v == 1) ++yes;
            else if (v == 2) ++no;
        }
    }

    function _store(Proposal storage p, uint256 id) private returns (uint32 yes, uint32 no) {
        (yes, no) = _count(id);
        p.yes = yes;
        p.no = no;
    }

    /// @return decided whether the proposal was executed or rejected
    function _decide(uint256 id, Proposal storage p, uint32 yes, uint32 no) private returns (bool) {
        uint256 n = getRoleMemberCount(MEMBER_ROLE);
        if (uint256(yes) * 100 > n * _quorumPercent) {
            p.status = ProposalStatus.Executed;
            emit ProposalExecuted(id);
            _execute(p.kind, p.payload);
            return true;
        }
        if (uint256(no) * 100 >= n * (100 - _quorumPercent)) {
            p.status = ProposalStatus.Rejected;
            emit ProposalRejected(id);
            return true;
        }
        return false;
    }

    function _openProposal(uint256 id) private view returns (Proposal storage p) {
        p = _proposalStorage(id);
        ProposalStatus status = _statusOf(p);
        if (status != ProposalStatus.Open) revert ProposalNotOpen(id, status);
    }

    /// @dev Re-checks each proposal against the state at execution time; a stale proposal
    /// (say, a second one admitting the same member) reverts the vote that would pass it.
    function _execute(ProposalKind kind, bytes memory payload) private {
        if (kind == ProposalKind.AddMember) {
            (address account, string memory name, uint32 regionCode) =
                abi.decode(payload, (address, string, uint32));
            _checkNewMember(account, name, regionCode);
            _addMember(account, name, regionCode);
        } else if (kind == ProposalKind.RemoveMember) {
            address account = abi.decode(payload, (address));
            _checkRemovableMember(account);
            _removeMember(account);
        } else if (kind == ProposalKind.AccreditCa) {
            (bytes32 caId, string memory name, address[] memory operators, bytes32[] memory keys) =
                abi.decode(payload, (bytes32, string, address[], bytes32[]));
            _checkAccreditation(caId, name, operators, keys);
            _accredit(caId, name, operators, keys);
        } else if (kind == ProposalKind.SuspendCa) {
            bytes32 caId = abi.decode(payload, (bytes32));
            if (_cas[caId].status != CaStatus.Accredited) revert CaNotAccredited(caId);
            _cas[caId].status = CaStatus.Suspended;
            emit CaSuspended(caId);
        } else if (kind == ProposalKind.RegisterPlatform) {
            (bytes32 platformId, address center, string memory name) =
                abi.decode(payload, (bytes32, address, string));
            _checkNewPlatform(platformId, center, name);
            _platforms[platformId] = Platform(center, true, name);
            _platformIds.push(platformId);
            emit PlatformRegistered(platformId, center, name);
        } else if (kind == ProposalKind.RetirePlatform) {
            bytes32 platformId = abi.decode(payload, (bytes32));
            _checkActivePlatform(platformId);
            _retirePlatform(platformId);
        } else {
            uint8 q = abi.decode(payload, (uint8));
            emit QuorumChanged(_quorumPercent, q);
            _quorumPercent = q;
        }
    }

    function _addMember(address account, string memory name, uint32 regionCode) private {
        Member storage m = _members[account];
        if (m.index == 0) {
            _memberByIndex.push(account);
            m.index = uint32(_memberByIndex.length);
        }
        m.name = name;
        m.regionCode = regionCode;
        m.active = true;
        _grantRole(MEMBER_ROLE, account);
        emit MemberAdded(account, m.index, name, regionCode);
    }

    function _removeMember(address account) private {
        _members[account].active = false;
        _revokeRole(MEMBER_ROLE, account);
        emit MemberRemoved(account);
        for (uint256 i = 0; i < _platformIds.length; ++i) {
            Platform storage p = _platforms[_platformIds[i]];
            if (p.center == account && p.active) _retirePlatform(_platformIds[i]);
        }
    }

    function _retirePlatform(bytes32 platformId) private {
        _platforms[platformId].active = false;
        emit PlatformRetired(platformId);
    }

    function _accredit(bytes32 caId, string memory name, address[] memory operators, bytes32[] memory keys)
        private
    {
        Ca storage c = _cas[caId];
        bytes32 role = caOperatorRole(caId);
        if (c.index == 0) {
            _caByIndex.push(caId);
            c.index = uint32(_caByIndex.length);
            _caOfRole[role] = caId;
            _setRoleAdmin(role, role);
        }
        for (uint256 i = 0; i < c.issuerKeyIds.length; ++i) {
            delete _caOfIssuerKey[c.issuerKeyIds[i]];
        }
        for (uint256 i = 0; i < keys.length; ++i) {
            _caOfIssuerKey[keys[i]] = caId;
        }
        c.issuerKeyIds = keys;
        c.name = name;
        c.status = CaStatus.Accredited;
        emit CaAccredited(caId, c.index, name, operators, keys);
        for (uint256 i = 0; i < operators.length; ++i) {
            _grantRole(role, operators[i]);
        }
        // Listed operators were granted first, so the CA never drops to zero operators.
        address[] memory current = getRoleMembers(role);
        for (uint256 i = 0; i < current.length; ++i) {
            if (!_contains(operators, current[i])) _revokeRole(role, current[i]);
        }
    }

    /// @dev A CA keeps at least one operator, whoever revokes (a colleague or itself).
    function _revokeRole(bytes32 role, address account) internal override returns (bool) {
        bytes32 caId = _caOfRole[role];
        if (caId != bytes32(0) && hasRole(role, account) && getRoleMemberCount(role) == 1) {
            revert LastCaOperator(caId, account);
        }
        return super._revokeRole(role, account);
    }

    function _checkNewMember(address account, string memory name, uint32 regionCode) private view {
        if (account == address(0)) revert ZeroAddress();
        if (_members[account].active) revert AlreadyAMember(account);
        if (bytes(name).length == 0) revert EmptyName();
        if (regionCode < 100000 || regionCode > 999999) revert InvalidRegionCode(regionCode);
    }

    function _checkRemovableMember(address account) private view {
        if (!_members[account].active) revert NotAMember(account);
        if (getRoleMemberCount(MEMBER_ROLE) == 1) revert LastMember(account);
    }

    function _checkAccreditation(
        bytes32 caId,
        string memory name,
        address[] memory operators,
        bytes32[] memory keys
    ) private view {
        if (caId == bytes32(0)) revert InvalidId();
        if (bytes(name).length == 0) revert EmptyName();
        if (operators.length == 0) revert NoOperators(caId);
        for (uint256 i = 0; i < operators.length; ++i) {
            if (operators[i] == address(0)) revert ZeroAddress();
        }
        if (keys.length == 0) revert NoIssuerKeys(caId);
        for (uint256 i = 0; i < keys.length; ++i) {
            if (keys[i] == bytes32(0)) revert InvalidId();
            bytes32 owner = _caOfIssuerKey[keys[i]];
            if (owner != bytes32(0) && owner != caId) revert IssuerKeyTaken(keys[i], owner);
            for (uint256 j = 0; j < i; ++j) {
                if (keys[j] == keys[i]) revert DuplicateIssuerKey(keys[i]);
            }
        }
    }

    function _checkNewPlatform(bytes32 platformId, address center, string memory name) private view {
        if (platformId == bytes32(0)) revert InvalidId();
        if (_platforms[platformId].center != address(0)) revert PlatformAlreadyRegistered(platformId);
        if (!_members[center].active) revert NotAMember(center);
        if (bytes(name).length == 0) revert EmptyName();
    }

    function _checkActivePlatform(bytes32 platformId) private view {
        Platform storage p = _platforms[platformId];
        if (p.center == address(0)) revert UnknownPlatform(platformId);
        if (!p.active) revert PlatformNotActive(platformId);
    }

    function _contains(address[] memory list, address account) private pure returns (bool) {
        for (uint256 i = 0; i < list.length; ++i) {
            if (list[i] == account) return true;
        }
        return false;
    }

    function _proposalStorage(uint256 id) private view returns (Proposal storage) {
        if (id == 0 || id > _proposals.length) revert UnknownProposal(id);
        return _proposals[id - 1];
    }

    function _statusOf(Proposal storage p) private view returns (ProposalStatus) {
        if (p.status == ProposalStatus.Open && block.timestamp > p.expiresAt) {
            return ProposalStatus.Expired;
        }
        return p.status;
    }
}
