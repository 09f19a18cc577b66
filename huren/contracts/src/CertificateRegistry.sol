// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortium} from "./IConsortium.sol";

/// @title CertificateRegistry
/// @notice Which certificates the consortium's accredited CAs issued and revoked, which
/// platform zones they are bound to, which staff certificates an enterprise authorized at which
/// platform, and the recognition rule over all of it.
/// @dev Records are keyed by the SHA-256 of the certificate's DER. Personal data never comes
/// here: the holder is a salted commitment. A record takes ONE packed storage slot (plus the
/// predecessor when there is one): storage-trie writes and EVM steps bound batched issuance on
/// the embedded py-evm chain, and a second slot per record cost a fifth of its throughput.
/// The holder commitment takes part in no on-chain decision, so it lives in the
/// CertificateRecorded event (an indexed topic, so a holder's certificates can be found) and
/// not in storage; the event is as much part of the chain as the storage is.
contract CertificateRegistry {
    uint8 public constant KIND_ENTERPRISE = 1;
    uint8 public constant KIND_STAFF = 2;
    uint8 public constant KIND_PERSONAL = 3;
    uint8 public constant USAGE_SIGNING = 1;
    uint8 public constant USAGE_ENCRYPTION = 2;
    uint8 public constant SCOPE_ALLIANCE = 1;
    uint8 public constant SCOPE_REGIONAL = 2;
    uint8 public constant STATUS_ACTIVE = 1;
    uint8 public constant STATUS_REVOKED = 2;

    /// @dev Rights and actions share bits: an authorization grants a set, an action asks one.
    uint8 public constant RIGHT_LOGIN = 1;
    uint8 public constant RIGHT_SIGN = 2;
    uint8 public constant RIGHT_SEAL = 4;
    uint8 public constant RIGHT_ENCRYPT = 8;
    uint8 public constant RIGHT_DECRYPT = 16;
    uint8 private constant ALL_RIGHTS = 31;

    /// @dev Reasons a certificate is not recognized; `recognize` returns all that apply.
    uint16 public constant REASON_UNKNOWN_CERTIFICATE = 1;
    uint16 public constant REASON_CA_NOT_ACCREDITED = 2;
    uint16 public constant REASON_REVOKED = 4;
    uint16 public constant REASON_NOT_YET_VALID = 8;
    uint16 public constant REASON_EXPIRED = 16;
    uint16 public constant REASON_OUT_OF_SCOPE = 32;
    uint16 public constant REASON_UNKNOWN_PLATFORM = 64;
    uint16 public constant REASON_PLATFORM_RETIRED = 128;
    uint16 public constant REASON_NOT_AUTHORIZED = 256;
    uint16 public constant REASON_WRONG_USAGE = 512;

    /// @notice One certificate to record.
    struct CertificateInput {
        bytes32 fingerprint; // SHA-256 of the certificate DER
        bytes32 holder; // salted commitment to the holder's identity
        bytes32 predecessor; // the certificate this one renews or replaces, or zero
        uint64 notBefore;
        uint64 notAfter;
        uint8 kind;
        uint8 usage;
        uint8 scope;
        address center; // the member center of a regional certificate; zero for alliance
    }

    /// @dev Packed into one slot (28 bytes).
    struct Record {
        uint32 caIndex;
        uint32 centerIndex;
        uint40 notBefore;
        uint40 notAfter;
        uint8 kind;
        uint8 usage;
        uint8 scope;
        uint8 status;
        uint8 revocationReason;
        uint40 revokedAt;
    }

    /// @notice A certificate record as the views return it.
    struct CertificateView {
        bytes32 caId; // issuing CA
        bytes32 predecessor; // the replaced certificate, or zero
        uint64 notBefore;
        uint64 notAfter;
        uint8 kind;
        uint8 usage;
        uint8 scope;
        address center; // the regional center, or zero
        uint8 status;
        uint8 revocationReason; // RFC 5280 reason code when revoked
        uint64 revokedAt; // 0 while active
    }

    struct Authorization {
        bytes32 enterpriseFingerprint;
        uint8 rights;
    }

    IConsortium private immutable _consortium;
    mapping(bytes32 fingerprint => Record) private _records;
    mapping(bytes32 fingerprint => bytes32) private _predecessors;
    mapping(bytes32 fingerprint => mapping(bytes32 platformId => bytes32 evidence)) private _bindings;
    mapping(bytes32 staff => mapping(bytes32 platformId => Authorization)) private _authorizations;
    uint256 private _recordCount;
    uint256 private constant INPUT_SIZE = 0x120; // a CertificateInput in calldata: nine words

    event CertificateRecorded(
        bytes32 indexed fingerprint,
        bytes32 indexed caId,
        bytes32 indexed holder,
        bytes32 issuerKeyId,
        bytes32 predecessor,
        uint8 kind,
        uint8 usage,
        uint8 scope,
        address center,
        uint64 notBefore,
        uint64 notAfter
    );
    event CertificateRevoked(
        bytes32 indexed fingerprint, bytes32 indexed caId, uint8 reason, uint64 revokedAt, address by
    );
    event CertificateBound(
        bytes32 indexed fingerprint, bytes32 indexed platformId, bytes32 evidenceHash, address by
    );
    event CertificateUnbound(
        bytes32 indexed fingerprint, bytes32 indexed platformId, bytes32 evidenceHash, address by
    );
    event AuthorizationGranted(
        bytes32 indexed staffFingerprint,
        bytes32 indexed platformId,
        bytes32 indexed enterpriseFingerprint,
        uint8 rights,
        address by
    );
    event AuthorizationRevoked(
        bytes32 indexed staffFingerprint,
        bytes32 indexed platformId,
        bytes32 indexed enterpriseFingerprint,
        address by
    );

    error EmptyBatch();
    error LengthMismatch(uint256 expected, uint256 actual);
    error ZeroFingerprint();
    error CertificateAlreadyRecorded(bytes32 fingerprint);
    error UnknownCertificate(bytes32 fingerprint);
    error EmptyHolderCommitment(bytes32 fingerprint);
    error InvalidKind(bytes32 fingerprint, uint256 kind);
    error InvalidUsage(bytes32 fingerprint, uint256 usage);
    error InvalidScope(bytes32 fingerprint, uint256 scope, uint256 center);
    error InvalidValidity(bytes32 fingerprint, uint256 notBefore, uint256 notAfter);
    error UnknownPredecessor(bytes32 fingerprint, bytes32 predecessor);
    error NotCaOperator(bytes32 caId, address account);
    error AlreadyRevoked(bytes32 fingerprint);
    error InvalidRevocationReason(bytes32 fingerprint, uint8 reason);
    error CertificateNotActive(bytes32 fingerprint);
    error UnknownPlatform(bytes32 platformId);
    error PlatformNotActive(bytes32 platformId);
    error NotPlatformCenter(bytes32 platformId, address account);
    error EmptyEvidence();
    error AlreadyBound(bytes32 fingerprint, bytes32 platformId);
    error NotBound(bytes32 fingerprint, bytes32 platformId);
    error WrongCertificateKind(bytes32 fingerprint, uint8 expected, uint8 actual);
    error InvalidRights(uint8 rights);
    error NotAuthorized(bytes32 staffFingerprint, bytes32 platformId);
    error InvalidAction(uint8 action);
    error OutOfScope(bytes32 fingerprint, bytes32 platformId);
    error CaNotAccredited(bytes32 caId);

    /// @param consortiumContract the Consortium whose members, CAs and platforms this trusts
    constructor(IConsortium consortiumContract) {
        _consortium = consortiumContract;
    }

    // ------------------------------------------------------------------ issuance

    /// @notice Record one certificate issued by CA `caId` under issuer key `issuerKeyId`.
    /// Only an operator of that accredited CA may call.
    function recordCertificate(bytes32 caId, bytes32 issuerKeyId, CertificateInput calldata cert)
        external
    {
        uint32 caIndex = _consortium.issuanceAuthority(caId, issuerKeyId, msg.sender);
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := cert
        }
        _record(caId, caIndex, issuerKeyId, ptr, address(0), 0);
        _recordCount += 1;
    }

    /// @notice Record a batch of certificates issued by CA `caId` under issuer key
    /// `issuerKeyId`; all or none are recorded.
    function recordCertificates(bytes32 caId, bytes32 issuerKeyId, CertificateInput[] calldata certs)
        external
    {
        uint256 n = certs.length;
        if (n == 0) revert EmptyBatch();
        uint32 caIndex = _consortium.issuanceAuthority(caId, issuerKeyId, msg.sender);
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := certs.offset
        }
        // Most batches name one center, so its membership is looked up once.
        address lastCenter;
        uint32 lastCenterIndex;
        unchecked {
            for (uint256 i = 0; i < n; ++i) {
                (lastCenter, lastCenterIndex) =
                    _record(caId, caIndex, issuerKeyId, ptr + i * INPUT_SIZE, lastCenter, lastCenterIndex);
            }
            _recordCount += n;
        }
    }

    /// @notice Revoke certificate `fingerprint` with RFC 5280 reason code `reason`; only an
    /// operator of the issuing CA may call, also while the CA is suspended. Irreversible.
    function revokeCertificate(bytes32 fingerprint, uint8 reason) external {
        _revoke(fingerprint, reason, 0);
    }

    /// @notice Revoke a batch of certificates, each with its reason; all or none are revoked.
    function revokeCertificates(bytes32[] calldata fingerprints, uint8[] calldata reasons) external {
        if (fingerprints.length == 0) revert EmptyBatch();
        if (reasons.length != fingerprints.length) {
            revert LengthMismatch(fingerprints.length, reasons.length);
        }
        uint32 checkedCa;
        for (uint256 i = 0; i < fingerprints.length; ++i) {
            checkedCa = _revoke(fingerprints[i], reasons[i], checkedCa);
        }
    }

    // ------------------------------------------------------------------ zones and authorizations

    /// @notice Bind certificate `fingerprint` to active platform `platformId`'s zone, with the
    /// hash of the evidence (the holder's signed request). Only the platform's owning center
    /// may call; the certificate must be usable now and, if regional, of that center.
    function bindCertificate(bytes32 fingerprint, bytes32 platformId, bytes32 evidenceHash) external {
        uint32 platformCenter = _requirePlatformCenter(platformId, true);
        if (evidenceHash == bytes32(0)) revert EmptyEvidence();
        Record storage r = _existing(fingerprint);
        _requireUsableNow(fingerprint, r);
        if (r.scope == SCOPE_REGIONAL && r.centerIndex != platformCenter) {
            revert OutOfScope(fingerprint, platformId);
        }
        if (_bindings[fingerprint][platformId] != bytes32(0)) {
            revert AlreadyBound(fingerprint, platformId);
        }
        _bindings[fingerprint][platformId] = evidenceHash;
        emit CertificateBound(fingerprint, platformId, evidenceHash, msg.sender);
    }

    /// @notice Unbind certificate `fingerprint` from platform `platformId`'s zone, with the hash
    /// of the evidence. Only the platform's owning center may call, also once it is retired.
    function unbindCertificate(bytes32 fingerprint, bytes32 platformId, bytes32 evidenceHash)
        external
    {
        _requirePlatformCenter(platformId, false);
        if (evidenceHash == bytes32(0)) revert EmptyEvidence();
        if (_bindings[fingerprint][platformId] == bytes32(0)) revert NotBound(fingerprint, platformId);
        delete _bindings[fingerprint][platformId];
        emit CertificateUnbound(fingerprint, platformId, evidenceHash, msg.sender);
    }

    /// @notice Authorize staff certificate `staffFingerprint` at platform `platformId` with the
    /// `rights` bitmask (login 1, sign 2, seal 4, encrypt 8, decrypt 16), granted under
    /// enterprise certificate `enterpriseFingerprint`. Replaces an earlier grant. Only an
    /// operator of the accredited CA that issued the staff certificate may call (it reviewed
    /// the grant); both certificates must be usable now.
    function grantAuthorization(
        bytes32 staffFingerprint,
        bytes32 platformId,
        bytes32 enterpriseFingerprint,
        uint8 rights
    ) external {
        if (rights == 0 || rights > ALL_RIGHTS) revert InvalidRights(rights);
        Record storage staff = _existing(staffFingerprint);
        _requireCaOperator(staff.caIndex);
        (bytes32 caId, IConsortium.CaStatus caStatus) = _consortium.caAt(staff.caIndex);
        if (caStatus != IConsortium.CaStatus.Accredited) revert CaNotAccredited(caId);
        if (staff.kind != KIND_STAFF) revert WrongCertificateKind(staffFingerprint, KIND_STAFF, staff.kind);
        _requireUsableNow(staffFingerprint, staff);
        Record storage ent = _existing(enterpriseFingerprint);
        if (ent.kind != KIND_ENTERPRISE) {
            revert WrongCertificateKind(enterpriseFingerprint, KIND_ENTERPRISE, ent.kind);
        }
        _requireUsableNow(enterpriseFingerprint, ent);
        (bool registered, bool active,,) = _consortium.platformState(platformId);
        if (!registered) revert UnknownPlatform(platformId);
        if (!active) revert PlatformNotActive(platformId);
        _authorizations[staffFingerprint][platformId] = Authorization(enterpriseFingerprint, rights);
        emit AuthorizationGranted(staffFingerprint, platformId, enterpriseFingerprint, rights, msg.sender);
    }

    /// @notice Withdraw the authorization of `staffFingerprint` at `platformId`. Only an
    /// operator of the CA that issued the staff certificate may call.
    function revokeAuthorization(bytes32 staffFingerprint, bytes32 platformId) external {
        Record storage staff = _existing(staffFingerprint);
        _requireCaOperator(staff.caIndex);
        Authorization storage a = _authorizations[staffFingerprint][platformId];
        if (a.rights == 0) revert NotAuthorized(staffFingerprint, platformId);
        bytes32 enterprise = a.enterpriseFingerprint;
        delete _authorizations[staffFingerprint][platformId];
        emit AuthorizationRevoked(staffFingerprint, platformId, enterprise, msg.sender);
    }

    // ------------------------------------------------------------------ views

    /// @notice Whether certificate `fingerprint` is recognized at platform `platformId` for
    /// `action` now. See `recognizeAt`.
    function recognize(bytes32 fingerprint, bytes32 platformId, uint8 action)
        external
        view
        returns (bool recognized, uint16 reasons)
    {
        return recognizeAt(fingerprint, platformId, action, uint64(block.timestamp));
    }

    /// @notice Whether certificate `fingerprint` is recognized at platform `platformId` for
    /// `action` (0 for none in particular, else one right bit) at time `atTime`.
    /// @dev The rule: the certificate is recorded; its CA is accredited now (a suspended CA's
    /// certificates are not recognized while it stays suspended); it was not revoked at or
    /// before `atTime`; `atTime` lies within notBefore..notAfter; it is alliance scope, or
    /// regional and the platform belongs to its center; the platform is registered and active;
    /// a staff certificate holds an authorization for the platform with the action's right (any
    /// right for action 0) whose granting enterprise certificate was, at `atTime`, unrevoked
    /// and within its validity; the action fits the key usage (encrypt and decrypt need an
    /// encryption certificate, the rest a signing one). CA, platform and authorization state
    /// are today's: the chain keeps no history of them.
    /// @return recognized whether no reason applies
    /// @return reasons every reason (REASON_* bits) that applies
    function recognizeAt(bytes32 fingerprint, bytes32 platformId, uint8 action, uint64 atTime)
        public
        view
        returns (bool recognized, uint16 reasons)
    {
        if (action != 0 && (action > RIGHT_DECRYPT || action & (action - 1) != 0)) {
            revert InvalidAction(action);
        }
        (bool registered, bool active,, uint32 platformCenter) = _consortium.platformState(platformId);
        if (!registered) reasons |= REASON_UNKNOWN_PLATFORM;
        else if (!active) reasons |= REASON_PLATFORM_RETIRED;
        Record storage r = _records[fingerprint];
        if (r.status == 0) return (false, reasons | REASON_UNKNOWN_CERTIFICATE);
        (, IConsortium.CaStatus caStatus) = _consortium.caAt(r.caIndex);
        if (caStatus != IConsortium.CaStatus.Accredited) reasons |= REASON_CA_NOT_ACCREDITED;
        if (_revokedBy(r, atTime)) reasons |= REASON_REVOKED;
        if (atTime < r.notBefore) reasons |= REASON_NOT_YET_VALID;
        if (atTime > r.notAfter) reasons |= REASON_EXPIRED;
        if (r.scope == SCOPE_REGIONAL && (!registered || r.centerIndex != platformCenter)) {
            reasons |= REASON_OUT_OF_SCOPE;
        }
        if (r.kind == KIND_STAFF) {
            Authorization storage a = _authorizations[fingerprint][platformId];
            bool granted = action == 0 ? a.rights != 0 : a.rights & action != 0;
            if (!granted || !_validAt(_records[a.enterpriseFingerprint], atTime)) {
                reasons |= REASON_NOT_AUTHORIZED;
            }
        }
        if (action != 0) {
            bool wantsEncryption = action == RIGHT_ENCRYPT || action == RIGHT_DECRYPT;
            if (wantsEncryption != (r.usage == USAGE_ENCRYPTION)) reasons |= REASON_WRONG_USAGE;
        }
        return (reasons == 0, reasons);
    }

    /// @notice The record of certificate `fingerprint`; reverts UnknownCertificate.
    function certificate(bytes32 fingerprint) external view returns (CertificateView memory v) {
        Record storage r = _existing(fingerprint);
        (v.caId,) = _consortium.caAt(r.caIndex);
        if (r.centerIndex != 0) (v.center,) = _consortium.memberAt(r.centerIndex);
        v.predecessor = _predecessors[fingerprint];
        v.notBefore = r.notBefore;
        v.notAfter = r.notAfter;
        v.kind = r.kind;
        v.usage = r.usage;
        v.scope = r.scope;
        v.status = r.status;
        v.revocationReason = r.revocationReason;
        v.revokedAt = r.revokedAt;
    }

    /// @notice The evidence hash binding `fingerprint` to `platformId`'s zone, zero if unbound.
    function binding(bytes32 fingerprint, bytes32 platformId) external view returns (bytes32) {
        return _bindings[fingerprint][platformId];
    }

    /// @notice The authorization of staff certificate `staffFingerprint` at `platformId`.
    /// @return enterpriseFingerprint the granting enterprise certificate, zero when none
    /// @return rights the rights bitmask, 0 when none
    function authorization(bytes32 staffFingerprint, bytes32 platformId)
        external
        view
        returns (bytes32 enterpriseFingerprint, uint8 rights)
    {
        Authorization storage a = _authorizations[staffFingerprint][platformId];
        return (a.enterpriseFingerprint, a.rights);
    }

    /// @notice Number of certificates recorded so far.
    function certificateCount() external view returns (uint256) {
        return _recordCount;
    }

    /// @notice The Consortium this registry trusts.
    function consortium() external view returns (IConsortium) {
        return _consortium;
    }

    // ------------------------------------------------------------------ internals

    /// @dev The issuance hot path. It reads the static CertificateInput at calldata offset
    /// `ptr` word by word and writes the packed Record and the event by hand: the ABI decoder's
    /// per-field cleanup and Solidity's struct packing cost several times more EVM steps, and
    /// EVM steps are what bound batched issuance on py-evm. The Record packing matches
    /// Solidity's layout (first field in the lowest bits), so the rest of the contract reads it.
    function _record(
        bytes32 caId,
        uint32 caIndex,
        bytes32 issuerKeyId,
        uint256 ptr,
        address lastCenter,
        uint32 lastCenterIndex
    ) private returns (address, uint32) {
        bytes32 fp;
        bytes32 holder;
        bytes32 predecessor;
        uint256 notBefore;
        uint256 notAfter;
        uint256 kind;
        uint256 usage;
        uint256 scope;
        uint256 center;
        assembly ("memory-safe") {
            fp := calldataload(ptr)
            holder := calldataload(add(ptr, 0x20))
            predecessor := calldataload(add(ptr, 0x40))
            notBefore := calldataload(add(ptr, 0x60))
            notAfter := calldataload(add(ptr, 0x80))
            kind := calldataload(add(ptr, 0xa0))
            usage := calldataload(add(ptr, 0xc0))
            scope := calldataload(add(ptr, 0xe0))
            center := calldataload(add(ptr, 0x100))
        }
        if (fp == bytes32(0)) revert ZeroFingerprint();
        if (_records[fp].status != 0) revert CertificateAlreadyRecorded(fp);
        if (holder == bytes32(0)) revert EmptyHolderCommitment(fp);
        if (kind == 0 || kind > KIND_PERSONAL) revert InvalidKind(fp, kind);
        if (usage == 0 || usage > USAGE_ENCRYPTION) revert InvalidUsage(fp, usage);
        if (notBefore >= notAfter || notAfter > type(uint40).max) {
            revert InvalidValidity(fp, notBefore, notAfter);
        }
        uint256 centerIndex;
        if (scope == SCOPE_ALLIANCE) {
            if (center != 0) revert InvalidScope(fp, scope, center);
        } else if (scope == SCOPE_REGIONAL) {
            if (center >> 160 != 0) revert InvalidScope(fp, scope, center);
            if (address(uint160(center)) != lastCenter || lastCenterIndex == 0) {
                lastCenter = address(uint160(center));
                lastCenterIndex = center == 0 ? 0 : _consortium.memberIndexOf(lastCenter);
            }
            if (lastCenterIndex == 0) revert InvalidScope(fp, scope, center);
            centerIndex = lastCenterIndex;
        } else {
            revert InvalidScope(fp, scope, center);
        }
        if (predecessor != bytes32(0)) {
            if (_records[predecessor].status == 0) revert UnknownPredecessor(fp, predecessor);
            _predecessors[fp] = predecessor;
        }
        uint256 packed = uint256(caIndex) | (centerIndex << 32) | (notBefore << 64)
            | (notAfter << 104) | (kind << 144) | (usage << 152) | (scope << 160)
            | (uint256(STATUS_ACTIVE) << 168);
        bytes32 topic0 = CertificateRecorded.selector;
        assembly ("memory-safe") {
            mstore(0x00, fp)
            mstore(0x20, _records.slot)
            sstore(keccak256(0x00, 0x40), packed)
            // CertificateRecorded's data: the eight non-indexed fields, as abi.encode lays them.
            let m := mload(0x40)
            mstore(m, issuerKeyId)
            mstore(add(m, 0x20), predecessor)
            mstore(add(m, 0x40), kind)
            mstore(add(m, 0x60), usage)
            mstore(add(m, 0x80), scope)
            mstore(add(m, 0xa0), center)
            mstore(add(m, 0xc0), notBefore)
            mstore(add(m, 0xe0), notAfter)
            log4(m, 0x100, topic0, fp, caId, holder)
        }
        return (lastCenter, lastCenterIndex);
    }

    /// @dev `checkedCa` is the CA index whose operator check already passed in this batch.
    function _revoke(bytes32 fingerprint, uint8 reason, uint32 checkedCa) private returns (uint32) {
        Record storage r = _existing(fingerprint);
        if (r.caIndex != checkedCa) _requireCaOperator(r.caIndex);
        if (r.status == STATUS_REVOKED) revert AlreadyRevoked(fingerprint);
        // RFC 5280 5.3.1 codes; 6 (certificateHold) and 8 (removeFromCRL) are reversible and
        // revocation here is not, 7 is unassigned.
        if (reason > 10 || reason == 6 || reason == 7 || reason == 8) {
            revert InvalidRevocationReason(fingerprint, reason);
        }
        r.status = STATUS_REVOKED;
        r.revocationReason = reason;
        r.revokedAt = uint40(block.timestamp);
        (bytes32 caId,) = _consortium.caAt(r.caIndex);
        emit CertificateRevoked(fingerprint, caId, reason, uint64(block.timestamp), msg.sender);
        return r.caIndex;
    }

    function _requireCaOperator(uint32 caIndex) private view {
        if (!_consortium.isCaIndexOperator(caIndex, msg.sender)) {
            (bytes32 caId,) = _consortium.caAt(caIndex);
            revert NotCaOperator(caId, msg.sender);
        }
    }

    /// @return centerIndex the platform's center
    function _requirePlatformCenter(bytes32 platformId, bool mustBeActive)
        private
        view
        returns (uint32 centerIndex)
    {
        bool registered;
        bool active;
        address center;
        (registered, active, center, centerIndex) = _consortium.platformState(platformId);
        if (!registered) revert UnknownPlatform(platformId);
        if (mustBeActive && !active) revert PlatformNotActive(platformId);
        if (center != msg.sender) revert NotPlatformCenter(platformId, msg.sender);
    }

    function _revokedBy(Record storage r, uint256 atTime) private view returns (bool) {
        return r.status == STATUS_REVOKED && r.revokedAt <= atTime;
    }

    /// @dev Recorded, not revoked by `atTime`, and `atTime` within its validity.
    function _validAt(Record storage r, uint256 atTime) private view returns (bool) {
        return r.status != 0 && !_revokedBy(r, atTime) && r.notBefore <= atTime
            && atTime <= r.notAfter;
    }

    function _requireUsableNow(bytes32 fingerprint, Record storage r) private view {
        if (!_validAt(r, block.timestamp)) revert CertificateNotActive(fingerprint);
    }

    function _existing(bytes32 fingerprint) private view returns (Record storage r) {
        r = _records[fingerprint];
        if (r.status == 0) revert UnknownCertificate(fingerprint);
    }
}
