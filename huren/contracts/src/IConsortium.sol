// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IConsortium
/// @notice What the certificate registry asks of the consortium. CAs and members carry a
/// compact index (1, 2, ...; never reused) so that a certificate record fits one storage slot.
interface IConsortium {
    enum CaStatus {
        None,
        Accredited,
        Suspended
    }

    /// @notice The index of CA `caId` when `operator` may record its issuance under
    /// `issuerKeyId`; reverts CaNotAccredited, NotCaOperator or UnknownIssuerKey otherwise.
    function issuanceAuthority(bytes32 caId, bytes32 issuerKeyId, address operator)
        external
        view
        returns (uint32 caIndex);

    /// @notice Whether `account` operates the CA with index `caIndex`.
    function isCaIndexOperator(uint32 caIndex, address account) external view returns (bool);

    /// @notice The CA with index `caIndex` and its status.
    function caAt(uint32 caIndex) external view returns (bytes32 caId, CaStatus status);

    /// @notice The index of active member `account`, 0 when it is not a member.
    function memberIndexOf(address account) external view returns (uint32);

    /// @notice The member with index `index` and whether it is still a member.
    function memberAt(uint32 index) external view returns (address account, bool active);

    /// @notice Whether a platform is registered and active, and its owning center.
    function platformState(bytes32 platformId)
        external
        view
        returns (bool registered, bool active, address center, uint32 centerIndex);
}
