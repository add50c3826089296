"""SOAP faults as the real Axis 1.4 server words them.

Recorded (``fixtures/soap_recorded``): service errors are HTTP 500 with faultcode
``soapenv:Server.userException`` and a faultstring
``broadmail.api.soap11.impl.WebserviceImplException: <message>``; a failed login also carries an
Axis ``stackTrace`` detail. The other wordings here follow Axis 1.4 itself (``No such operation``,
``NoService``) or are the sandbox's own choice, listed in ``episerver_assets.sandbox.soap_app``.
"""

from __future__ import annotations

SERVER_USER = "soapenv:Server.userException"
SERVER_GENERAL = "soapenv:Server.generalException"
SERVER_NO_SERVICE = "soapenv:Server.NoService"
CLIENT = "soapenv:Client"

IMPL_EXCEPTION = "broadmail.api.soap11.impl.WebserviceImplException"

INVALID_CREDENTIALS = "Invalid credentials."
INVALID_SESSION = "Invalid session: the session has expired or does not exist. Please login again."


class SoapFault(Exception):
    """A fault to send back: faultcode, faultstring and, like Axis for some errors, a stack trace."""

    def __init__(self, faultstring: str, faultcode: str = SERVER_USER, stack_trace: str | None = None):
        super().__init__(faultstring)
        self.faultstring = faultstring
        self.faultcode = faultcode
        self.stack_trace = stack_trace


def service_error(message: str) -> SoapFault:
    """An error raised by the Campaign service implementation (WebserviceImplException)."""
    return SoapFault(f"{IMPL_EXCEPTION}: {message}")


def invalid_credentials() -> SoapFault:
    faultstring = f"{IMPL_EXCEPTION}: {INVALID_CREDENTIALS}"
    trace = f"{faultstring}\n\tat broadmail.api.soap11.impl.SessionWebserviceImpl.login(sandbox)\n"
    return SoapFault(faultstring, stack_trace=trace)


def invalid_session() -> SoapFault:
    return service_error(INVALID_SESSION)


def no_such_operation(name: str) -> SoapFault:
    return SoapFault(f"No such operation '{name}'", CLIENT)


def not_implemented(service: str, name: str) -> SoapFault:
    return SoapFault(
        f"java.lang.UnsupportedOperationException: {service}.{name} is in the WSDL but not implemented "
        "by the sandbox",
        SERVER_GENERAL,
    )


def no_service(service: str) -> SoapFault:
    return SoapFault(
        f"The AXIS engine could not find a target service to invoke!  targetService is {service}",
        SERVER_NO_SERVICE,
    )


def bad_request(message: str) -> SoapFault:
    """A request Axis could not deserialise (malformed XML, wrong types, wrong arguments)."""
    return SoapFault(message)
