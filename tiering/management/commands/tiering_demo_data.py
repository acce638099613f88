import datetime

from django.core.management.base import BaseCommand

from tiering.demo import demo_data_generate


class Command(BaseCommand):
    help = "Create N realistic DEMO clients with metrics and risk levels (demo data only; bulk inserts)."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, required=True)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=None)
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--no-assessments", action="store_true")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when clients already exist")

    def handle(self, *args, **opts):
        from accounts.models import Client

        if opts["if_empty"] and Client.objects.exists():
            self.stdout.write("clients exist: no demo data added")
            return
        result = demo_data_generate(
            clients=opts["clients"],
            seed=opts["seed"],
            as_of=opts["as_of"],
            batch_size=opts["batch_size"],
            with_assessments=not opts["no_assessments"],
            log=lambda m: self.stdout.write(m),
        )
        self.stdout.write(self.style.SUCCESS(f"done: {result}"))
