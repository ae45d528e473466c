import factory
from django.utils import timezone

from workshop.webhooks.models import Endpoint, Message, MessageStatus


class EndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Endpoint

    url = factory.Sequence(lambda n: f"https://hooks{n}.example.com/weldshop")
    events = factory.LazyFunction(lambda: ["*"])
    active = True
    description = "ERP"


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    endpoint = factory.SubFactory(EndpointFactory)
    event = "workorder.created"
    body = b'{"type":"event","id":null,"event":"workorder.created","data":{}}'
    status = MessageStatus.FAILED
    next_attempt_at = None
    finished_at = factory.LazyFunction(timezone.now)
