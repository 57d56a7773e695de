"""Add N demo customers to an existing demo world, fast (bulk path, COPY on PostgreSQL).

    manage.py seed_demo                                 # the world (org, projects, users …)
    manage.py seed_customers --customers 1000000        # then a million customers
    manage.py seed_customers --customers 100000 --consultants 20

``--consultants K`` first makes sure every project has K sales consultants (bench_<project>_NN,
password anju2026) so customers spread over realistic books, not three people.
"""

import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = "Bulk-load N demo customers into an existing demo database (for benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, required=True)
        parser.add_argument(
            "--consultants", type=int, default=0, help="Consultants per project (at least)."
        )
        parser.add_argument("--chunk", type=int, default=50_000)
        parser.add_argument("--seed", type=int, default=2027)

    def handle(self, *args, customers, consultants, chunk, seed, **options):
        from anju.core.roles import Role
        from anju.customers import demo
        from anju.org import services as org_services
        from anju.org.demo import set_demo_password
        from anju.org.models import Department, RoleAssignment, User

        if customers < 1:
            raise CommandError("--customers must be 1 or more")
        world = demo.load_world()
        if not world["projects"]:
            raise CommandError("No projects: run `manage.py seed_demo` first.")
        world.rng = random.Random(seed)
        world.log = lambda m: self.stdout.write(m)
        started = time.monotonic()
        if consultants:
            with transaction.atomic():
                for project in world["projects"].values():
                    have = RoleAssignment.objects.filter(
                        project=project, role=Role.SALES_CONSULTANT
                    ).count()
                    dept = Department.objects.filter(
                        company=project.company, kind=Department.Kind.SALES
                    ).first()
                    for n in range(have + 1, consultants + 1):
                        username = f"bench_{project.code}_{n:02d}"
                        if User.objects.filter(username=username).exists():
                            continue
                        gender = "M" if n % 2 else "F"
                        user = org_services.staff_create(
                            by=None,
                            username=username,
                            password=None,
                            display_name=f"置业顾问·{demo.random_name(world.rng, gender)}",
                            company=project.company,
                            department=dept,
                            roles=[(Role.SALES_CONSULTANT, project)],
                        )
                        set_demo_password([user])
        made = demo.bulk_seed(world, customers, chunk=chunk, log=world.log)
        self.stdout.write(
            self.style.SUCCESS(f"{made:,} customers loaded in {time.monotonic() - started:.1f}s.")
        )
