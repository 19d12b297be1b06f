package awsjson

import (
	"context"

	"github.com/cognate-dev/cognate/userpool"
)

type newDeviceMetadata struct {
	DeviceKey      string `json:"DeviceKey"`
	DeviceGroupKey string `json:"DeviceGroupKey"`
}

func newDeviceOut(m *userpool.NewDeviceMetadata) *newDeviceMetadata {
	if m == nil {
		return nil
	}
	return &newDeviceMetadata{DeviceKey: m.DeviceKey, DeviceGroupKey: m.DeviceGroupKey}
}

type deviceType struct {
	DeviceKey                   string               `json:"DeviceKey"`
	DeviceAttributes            []userpool.Attribute `json:"DeviceAttributes"`
	DeviceCreateDate            epoch                `json:"DeviceCreateDate"`
	DeviceLastModifiedDate      epoch                `json:"DeviceLastModifiedDate"`
	DeviceLastAuthenticatedDate *epoch               `json:"DeviceLastAuthenticatedDate,omitempty"`
}

func deviceOut(d *userpool.Device) *deviceType {
	out := &deviceType{DeviceKey: d.Key, DeviceAttributes: d.Attributes, DeviceCreateDate: epoch(d.CreateDate),
		DeviceLastModifiedDate: epoch(d.LastModifiedDate)}
	if !d.LastAuthenticated.IsZero() {
		e := epoch(d.LastAuthenticated)
		out.DeviceLastAuthenticatedDate = &e
	}
	return out
}

func devicesOut(ds []*userpool.Device, next string, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	out := make([]*deviceType, 0, len(ds))
	for _, d := range ds {
		out = append(out, deviceOut(d))
	}
	res := map[string]any{"Devices": out}
	if next != "" {
		res["PaginationToken"] = next
	}
	return res, nil
}

func oneDeviceOut(d *userpool.Device, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return map[string]any{"Device": deviceOut(d)}, nil
}

type deviceRef struct {
	AccessToken string `json:"AccessToken"`
	UserPoolID  string `json:"UserPoolId"`
	Username    string `json:"Username"`
	DeviceKey   string `json:"DeviceKey"`
}

type devicesPage struct {
	AccessToken     string `json:"AccessToken"`
	UserPoolID      string `json:"UserPoolId"`
	Username        string `json:"Username"`
	Limit           int    `json:"Limit"`
	PaginationToken string `json:"PaginationToken"`
}

type deviceStatusIn struct {
	deviceRef
	DeviceRememberedStatus string `json:"DeviceRememberedStatus"`
}

// deviceOperations are the operations on remembered devices.
func deviceOperations() map[string]operation {
	return map[string]operation{
		"ConfirmDevice": op(false, func(ctx context.Context, s *userpool.Service, in *struct {
			AccessToken                string `json:"AccessToken"`
			DeviceKey                  string `json:"DeviceKey"`
			DeviceName                 string `json:"DeviceName"`
			DeviceSecretVerifierConfig *struct {
				PasswordVerifier string `json:"PasswordVerifier"`
				Salt             string `json:"Salt"`
			} `json:"DeviceSecretVerifierConfig"`
		}) (any, error) {
			cin := userpool.ConfirmDeviceInput{AccessToken: in.AccessToken, DeviceKey: in.DeviceKey, DeviceName: in.DeviceName}
			if v := in.DeviceSecretVerifierConfig; v != nil {
				cin.PasswordVerifier, cin.Salt = v.PasswordVerifier, v.Salt
			}
			prompt, err := s.ConfirmDevice(ctx, cin)
			if err != nil {
				return nil, err
			}
			return map[string]any{"UserConfirmationNecessary": prompt}, nil
		}),
		"GetDevice": op(false, func(ctx context.Context, s *userpool.Service, in *deviceRef) (any, error) {
			return oneDeviceOut(s.GetDevice(ctx, in.AccessToken, in.DeviceKey))
		}),
		"AdminGetDevice": op(true, func(ctx context.Context, s *userpool.Service, in *deviceRef) (any, error) {
			return oneDeviceOut(s.AdminGetDevice(ctx, in.UserPoolID, in.Username, in.DeviceKey))
		}),
		"ListDevices": op(false, func(ctx context.Context, s *userpool.Service, in *devicesPage) (any, error) {
			return devicesOut(s.ListDevices(ctx, in.AccessToken, in.Limit, in.PaginationToken))
		}),
		"AdminListDevices": op(true, func(ctx context.Context, s *userpool.Service, in *devicesPage) (any, error) {
			return devicesOut(s.AdminListDevices(ctx, in.UserPoolID, in.Username, in.Limit, in.PaginationToken))
		}),
		"UpdateDeviceStatus": op(false, func(ctx context.Context, s *userpool.Service, in *deviceStatusIn) (any, error) {
			return empty(s.UpdateDeviceStatus(ctx, in.AccessToken, in.DeviceKey, in.DeviceRememberedStatus))
		}),
		"AdminUpdateDeviceStatus": op(true, func(ctx context.Context, s *userpool.Service, in *deviceStatusIn) (any, error) {
			return empty(s.AdminUpdateDeviceStatus(ctx, in.UserPoolID, in.Username, in.DeviceKey, in.DeviceRememberedStatus))
		}),
		"ForgetDevice": op(false, func(ctx context.Context, s *userpool.Service, in *deviceRef) (any, error) {
			return empty(s.ForgetDevice(ctx, in.AccessToken, in.DeviceKey))
		}),
		"AdminForgetDevice": op(true, func(ctx context.Context, s *userpool.Service, in *deviceRef) (any, error) {
			return empty(s.AdminForgetDevice(ctx, in.UserPoolID, in.Username, in.DeviceKey))
		}),
	}
}
