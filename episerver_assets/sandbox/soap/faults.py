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


class ServiceError(SoapFault):
    """An error of the Campaign service implementation inside a session, worded by `in_call` as the
    live service words it (recorded ``bulk_update_failure``)::

        WebserviceImplException: [<sessionId>,<client>,<user>] <message> for call: <arguments>

    with ``; caused by: [...] <cause> for call: <arguments>`` appended when there is a cause. ``call``
    replaces the generic rendering of the arguments where the live service has its own.
    """

    def __init__(self, message: str, *, cause: str | None = None, call: str | None = None):
        super().__init__(f"{IMPL_EXCEPTION}: {message}" + (f"; caused by: {cause}" if cause else ""))
        self.message, self.cause, self.call = message, cause, call

    def in_call(self, context: str, call: str) -> SoapFault:
        call = self.call if self.call is not None else call
        # The live messages have no full stop before "for call" ("Recipients 1,2 do not exist for call").
        text = f"{IMPL_EXCEPTION}: [{context}] {self.message.rstrip('.')} for call: {call}"
        if self.cause is not None:
            text += f"; caused by: [{context}] {self.cause.rstrip('.')} for call: {call}"
        return SoapFault(text)


def service_error(message: str, *, cause: str | None = None, call: str | None = None) -> ServiceError:
    """An error raised by the Campaign service implementation (WebserviceImplException)."""
    return ServiceError(message, cause=cause, call=call)


def invalid_credentials() -> SoapFault:
    faultstring = f"{IMPL_EXCEPTION}: {INVALID_CREDENTIALS}"
    trace = f"{faultstring}\n\tat broadmail.api.soap11.impl.SessionWebserviceImpl.login(sandbox)\n"
    return SoapFault(faultstring, stack_trace=trace)


def invalid_session() -> SoapFault:
    # Raised before there is a session to name, so without the "[session,...] ... for call" frame.
    return SoapFault(f"{IMPL_EXCEPTION}: {INVALID_SESSION}")


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
