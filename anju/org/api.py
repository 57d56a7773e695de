from ninja import Router, Schema
from ninja.pagination import paginate

from anju.core.api_types import Id, Pagination
from anju.core.scope import get_visible_or_404

from . import selectors
from .models import Company, Project

router = Router(tags=["organisation"])


class CompanyOut(Schema):
    id: int
    code: str
    name: str
    city: str


class ProjectOut(Schema):
    id: int
    company_id: int
    code: str
    name: str
    address: str


@router.get("/companies", response=list[CompanyOut])
@paginate(Pagination, page_size=50)
def list_companies(request):
    return selectors.companies_visible_to(request.user)


@router.get("/companies/{int:company_id}", response=CompanyOut)
def get_company(request, company_id: Id):
    return get_visible_or_404(Company, request.user, pk=company_id)


@router.get("/projects", response=list[ProjectOut])
@paginate(Pagination, page_size=50)
def list_projects(request, company_id: Id | None = None):
    return selectors.projects_visible_to(request.user, company=company_id)


@router.get("/projects/{int:project_id}", response=ProjectOut)
def get_project(request, project_id: Id):
    return get_visible_or_404(Project, request.user, pk=project_id)
