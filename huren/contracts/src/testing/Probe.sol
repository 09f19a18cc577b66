// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Probe
/// @notice A tiny contract for the chain-backend conformance tests: it stores a value, emits an
/// event for every change, and reverts with a custom error carrying arguments.
contract Probe {
    uint256 private _value;

    /// @notice Emitted when the stored value changes.
    event ValueSet(address indexed by, uint256 previous, uint256 value);

    /// @notice The new value equals the forbidden one.
    error ValueForbidden(uint256 value, address by);

    /// @notice Store `value`; reverts with ValueForbidden when it is 13.
    function set(uint256 value) external {
        if (value == 13) revert ValueForbidden(value, msg.sender);
        emit ValueSet(msg.sender, _value, value);
        _value = value;
    }

    /// @notice Store every value in turn, one event each.
    function setMany(uint256[] calldata values) external {
        for (uint256 i = 0; i < values.length; ++i) {
            if (values[i] == 13) revert ValueForbidden(values[i], msg.sender);
            emit ValueSet(msg.sender, _value, values[i]);
            _value = values[i];
        }
    }

    /// @notice The stored value.
    function get() external view returns (uint256) {
        return _value;
    }

    /// @notice The current block's timestamp, to check the chain's clock.
    function now_() external view returns (uint256) {
        return block.timestamp;
    }
}
